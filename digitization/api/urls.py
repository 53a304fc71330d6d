from django.urls import path

from digitization.api import views

urlpatterns = [
    path("metrics/units/", views.UnitMetricsView.as_view(), name="metrics-units"),
    path("metrics/blocks/", views.BlockMetricsView.as_view(), name="metrics-blocks"),
    path("metrics/rankings/", views.RankingsView.as_view(), name="metrics-rankings"),
    path("metrics/trend/", views.TrendView.as_view(), name="metrics-trend"),
    path(
        "metrics/processing-time/",
        views.ProcessingTimeView.as_view(),
        name="metrics-processing-time",
    ),
    path("metrics/definitions/", views.DefinitionsView.as_view(), name="metrics-definitions"),
    path(
        "public/dossiers/<str:code>/",
        views.CitizenDossierView.as_view(),
        name="public-dossier",
    ),
    path(
        "public/dossiers/<str:code>/rating/",
        views.CitizenRatingView.as_view(),
        name="public-dossier-rating",
    ),
]
