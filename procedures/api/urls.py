from rest_framework.routers import SimpleRouter

from procedures.api.views import DossierViewSet, ProcedureViewSet, UnitViewSet

router = SimpleRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("dossiers", DossierViewSet, basename="dossier")

urlpatterns = router.urls
