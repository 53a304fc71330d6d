from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from digitization.views import dashboard, digitized_file

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("dashboard/", dashboard, name="dashboard"),
    path("files/<int:pk>/", digitized_file, name="digitized-file"),
    path("", include("procedures.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
# Uploaded files are never served from a public media URL: /files/<id>/ checks the scope.

handler404 = "api.errors.json_not_found"
