from rest_framework.routers import SimpleRouter

from procedures.api.apologies import DossierApologyViewSet
from procedures.api.views import CODE_PATTERN, DossierViewSet, ProcedureViewSet, UnitViewSet

router = SimpleRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("dossiers", DossierViewSet, basename="dossier")
router.register(
    rf"dossiers/(?P<code>{CODE_PATTERN})/apologies",
    DossierApologyViewSet,
    basename="dossier-apology",
)

urlpatterns = router.urls
