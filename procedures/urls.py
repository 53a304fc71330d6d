"""Staff pages outside the API: the printable forms."""

from django.urls import path

from procedures import views

app_name = "procedures"

urlpatterns = [
    path("dossiers/<str:code>/apology/", views.apology_letter, name="apology-letter"),
]
