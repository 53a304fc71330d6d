from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("xac-thuc/<str:code>/", views.verify_result, name="verify-result"),
]
