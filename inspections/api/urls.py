from django.urls import path
from rest_framework.routers import SimpleRouter

from inspections.api.accountability import (
    LateDossierListView,
    StaffAccountabilityView,
    UnitAccountabilityView,
)
from inspections.api.views import FindingViewSet, InspectionViewSet

router = SimpleRouter()
router.register("inspections/findings", FindingViewSet, basename="finding")
router.register("inspections", InspectionViewSet, basename="inspection")

urlpatterns = [
    *router.urls,
    path("accountability/staff/", StaffAccountabilityView.as_view(), name="accountability-staff"),
    path("accountability/units/", UnitAccountabilityView.as_view(), name="accountability-units"),
    path(
        "accountability/late-dossiers/",
        LateDossierListView.as_view(),
        name="accountability-late-dossiers",
    ),
]
