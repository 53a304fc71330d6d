"""/api/v1/ gathers every app's routes; /api/schema/ and /api/docs/ describe them.

Here in the project, not in the shared api/ package, which depends on no app."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

v1 = [
    path("", include("accounts.urls")),
    path("", include("procedures.api.urls")),
    path("", include("digitization.api.urls")),
    path("", include("inspections.api.urls")),
    path("", include("documents.api")),
]

urlpatterns = [
    path("v1/", include((v1, "v1"))),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]
