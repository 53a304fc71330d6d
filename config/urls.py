from django.contrib import admin
from django.urls import include, path

from desk.views.pages import home
from digitization import citizens
from digitization import views as dashboard_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("files/<int:pk>/", dashboard_views.digitized_file, name="digitized-file"),
    path("dashboard/don-vi/<str:code>/", dashboard_views.unit_page, name="dashboard-unit"),
    path(
        "dashboard/don-vi/<str:code>/xuat/<str:table>.<str:fmt>",
        dashboard_views.unit_export,
        name="dashboard-unit-export",
    ),
    path("dashboard/ho-so/<str:code>/", dashboard_views.dossier_page, name="dashboard-dossier"),
    path("tra-cuu/", citizens.lookup, name="citizen-lookup"),
    path("tra-cuu/danh-gia/", citizens.rate, name="citizen-rating"),
    path("", include("documents.urls")),
    path("", include("procedures.urls")),
    path("desk/", include("desk.urls")),
    path("", home, name="home"),
]
# Uploaded files are never served from a public media URL: /files/<id>/ checks the scope.

handler404 = "api.errors.json_not_found"
handler500 = "api.errors.json_server_error"
