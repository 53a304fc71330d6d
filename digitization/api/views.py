"""The leaders' metrics API (JSON, CSV, XLSX) and the citizens' public dossier endpoints."""

import hashlib
import math
from types import SimpleNamespace

from django.conf import settings
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from api.schema import AutoSchema, ErrorSerializer
from digitization import selectors
from digitization.api import serializers as s
from digitization.api.renderers import XLSX_MEDIA_TYPE, CSVRenderer, XLSXRenderer
from digitization.definitions import definitions_data, lazy_help_text
from digitization.indicators import COUNT_NAMES
from digitization.ratings import rate_dossier
from procedures.api.permissions import OVERSIGHT

RATE_COLUMNS = list(s.INDICATOR_FIELDS.values())
UNIT_COLUMNS = ["unit", "unit_name", "block", *COUNT_NAMES, *RATE_COLUMNS]
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv", "xlsx"],
    description="json (default), or a CSV / XLSX download with Vietnamese column headers.",
)


def _responses(serializer):
    return {
        (200, "application/json"): serializer,
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, UTF-8 with BOM."),
        (200, XLSX_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="Spreadsheet."),
    }


class MetricsView(APIView):
    """Read-only metrics for leaders, inspectors and administrators, scoped to their units.

    Responses are built as plain data (dates, Decimals) in the shape of the documented
    serializers, without running them: a ranking of hundreds of units stays fast.
    """

    permission_classes = [OVERSIGHT]
    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]
    error_statuses = {"get": ("400",)}
    query_serializer: type = s.PeriodQuery
    name = "metrics"

    def query(self) -> dict:
        serializer = self.query_serializer(
            data=self.request.query_params, context={"request": self.request}
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def handle_exception(self, exc):
        """Errors are JSON, even when a CSV or XLSX file was asked for."""
        response = super().handle_exception(exc)
        self._answer_in_json()
        return response

    def options(self, request, *args, **kwargs):
        """The endpoint's description is JSON, even when a CSV or XLSX file was asked for."""
        self._answer_in_json()
        return super().options(request, *args, **kwargs)

    def _answer_in_json(self):
        if getattr(self.request, "accepted_renderer", None) is not None and not isinstance(
            self.request.accepted_renderer, JSONRenderer
        ):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = "application/json"

    def export_name(self, data) -> str:
        return f"{self.name}-{data['from']}-{data['to']}"

    @staticmethod
    def period(query) -> dict:
        return {"from": query["start"], "to": query["end"]}


class UnitMetricsView(MetricsView):
    query_serializer = s.UnitsQuery
    export_columns = UNIT_COLUMNS
    name = "chi-so-don-vi"

    @extend_schema(
        summary="Counts and indicators per unit",
        parameters=[s.UnitsQuery, FORMAT_PARAMETER],
        responses=_responses(s.UnitMetricsResponse),
    )
    def get(self, request):
        query = self.query()
        rows = selectors.unit_indicators(
            request.user,
            start=query["start"],
            end=query["end"],
            block=query.get("block"),
            unit=query.get("unit"),
        )
        data = {**self.period(query), "results": [s.unit_row(row) for row in rows]}
        return Response(data)


class BlockMetricsView(MetricsView):
    query_serializer = s.BlocksQuery
    export_columns = ["block", "units", *COUNT_NAMES, *RATE_COLUMNS]
    name = "chi-so-khoi"

    @extend_schema(
        summary="Totals and indicators per block",
        parameters=[s.BlocksQuery, FORMAT_PARAMETER],
        responses=_responses(s.BlockMetricsResponse),
    )
    def get(self, request):
        query = self.query()
        rows = selectors.block_indicators(request.user, start=query["start"], end=query["end"])
        results = [
            {"block": row.block, "units": row.units, **s.counts_and_rates(row.counts, row.values)}
            for row in rows
        ]
        return Response({**self.period(query), "results": results})


class RankingsView(MetricsView):
    query_serializer = s.RankingsQuery
    export_columns = ["rank", "value", *UNIT_COLUMNS]
    name = "xep-hang"

    @extend_schema(
        summary="Units ranked by an indicator",
        parameters=[s.RankingsQuery, FORMAT_PARAMETER],
        responses=_responses(s.RankingsResponse),
    )
    def get(self, request):
        query = self.query()
        ranked = selectors.rankings(
            request.user,
            indicator=query["indicator"],
            start=query["start"],
            end=query["end"],
            block=query.get("block"),
        )
        results = [
            {"rank": each.rank, "value": s.number(each.value), **s.unit_row(each.row)}
            for each in ranked
        ]
        data = {
            **self.period(query),
            "indicator": query["indicator"],
            "block": query.get("block"),
            "results": results,
        }
        return Response(data)


class TrendView(MetricsView):
    query_serializer = s.TrendQuery
    export_columns = ["period_start", "period_end", "value", *COUNT_NAMES, *RATE_COLUMNS]
    name = "xu-huong"

    @extend_schema(
        summary="An indicator per day, week or month",
        description="For one unit, or all the units under your authority (of a block).",
        parameters=[s.TrendQuery, FORMAT_PARAMETER],
        responses=_responses(s.TrendResponse),
    )
    def get(self, request):
        query = self.query()
        unit = query.get("unit")
        points = selectors.trend(
            request.user,
            indicator=query["indicator"],
            granularity=query["granularity"],
            start=query["start"],
            end=query["end"],
            unit=unit,
            block=query.get("block"),
        )
        results = [
            {
                "period_start": point.start,
                "period_end": point.end,
                "value": s.number(point.value),
                **s.counts_and_rates(
                    point.counts, selectors.rounded_values(point.counts, on=point.start)
                ),
            }
            for point in points
        ]
        data = {
            **self.period(query),
            "indicator": query["indicator"],
            "granularity": query["granularity"],
            "unit": unit.code if unit else None,
            "results": results,
        }
        return Response(data)


class ProcessingTimeView(MetricsView):
    query_serializer = s.ProcessingTimeQuery
    export_columns = ["unit", "unit_name", "block", "completed", "working_days", "average"]
    name = "thoi-gian-giai-quyet"

    @extend_schema(
        summary="Average processing time of one procedure per unit (2.2)",
        description=lazy_help_text("processing_time"),
        parameters=[s.ProcessingTimeQuery, FORMAT_PARAMETER],
        responses=_responses(s.ProcessingTimeResponse),
    )
    def get(self, request):
        query = self.query()
        procedure = query["procedure"]
        rows = selectors.processing_time(
            request.user,
            procedure=procedure,
            start=query["start"],
            end=query["end"],
            block=query.get("block"),
        )
        results = [
            {
                "unit": row.unit.code,
                "unit_name": row.unit.name,
                "block": row.unit.block,
                "completed": row.completed,
                "working_days": row.working_days,
                "average": s.number(row.average),
            }
            for row in rows
        ]
        data = {
            **self.period(query),
            "procedure": procedure.code,
            "procedure_name": procedure.name,
            "results": results,
        }
        return Response(data)


class DefinitionsView(APIView):
    """What each indicator counts, the readings in force and the points."""

    permission_classes = [OVERSIGHT]
    error_statuses = {"get": ()}

    @extend_schema(
        summary="Definitions of the indicators (numerator, denominator, period date, points)",
        responses={200: s.DefinitionsResponse},
    )
    def get(self, request):
        return Response(definitions_data())


# --- citizens ---------------------------------------------------------------------------------


class PerClientThrottle(SimpleRateThrottle):
    """Look-ups and ratings per client address."""

    scope = "public_dossier_client"

    def get_rate(self):
        return settings.PUBLIC_LOOKUP_RATE_PER_CLIENT

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PerDossierThrottle(SimpleRateThrottle):
    """Look-ups and ratings per dossier code, whoever asks: guessing the 4 characters of one
    dossier from many addresses stays slow."""

    scope = "public_dossier_code"

    def get_rate(self):
        return settings.PUBLIC_LOOKUP_RATE_PER_DOSSIER

    def get_cache_key(self, request, view):
        # The code is whatever was typed: hashed, so the key is short and safe for any cache.
        code = view.kwargs.get("code", "")
        ident = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


PUBLIC_THROTTLES = (PerClientThrottle, PerDossierThrottle)


def public_throttle_wait(request, code: str) -> float | None:
    """None when a citizen's look-up or rating of `code` may go ahead now (and counts it), else
    the seconds to wait. The check the citizens' API views make, shared with the look-up page.
    Stops at the first limit reached: a request refused per client is not counted against the
    dossier (otherwise anyone could lock a citizen out of their own dossier by hammering its code
    from one address)."""
    view = SimpleNamespace(kwargs={"code": code})
    for throttle in (cls() for cls in PUBLIC_THROTTLES):
        if not throttle.allow_request(request, view):
            return throttle.wait() or 0
    return None


def throttled_message(wait: float | None) -> str:
    """In the user's language (Vietnamese by default), in seconds or minutes."""
    seconds = math.ceil(wait or 0)
    if seconds < 60:
        return ngettext(
            "Too many attempts. Please try again in %(count)d second.",
            "Too many attempts. Please try again in %(count)d seconds.",
            max(seconds, 1),
        ) % {"count": max(seconds, 1)}
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Too many attempts. Please try again in %(count)d minute.",
        "Too many attempts. Please try again in %(count)d minutes.",
        minutes,
    ) % {"count": minutes}


class PublicThrottled(exceptions.Throttled):
    """429 with a translated message (DRF's own is English) and Retry-After."""

    def __init__(self, wait: float | None):
        super().__init__(detail=throttled_message(wait), code="throttled")
        self.wait = math.ceil(wait) if wait else None


class PublicSchema(AutoSchema):
    """No login: no 401 or 403; 404 for a wrong code or proof, 429 when throttled."""

    def _error_statuses(self) -> set[str]:
        return super()._error_statuses() - {"401", "403"}


THROTTLED = OpenApiResponse(ErrorSerializer, description="Too many attempts; retry later.")


class CitizenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PerClientThrottle, PerDossierThrottle]
    renderer_classes = [JSONRenderer]
    schema = PublicSchema()

    def check_throttles(self, request):
        wait = public_throttle_wait(request, self.kwargs.get("code", ""))
        if wait is not None:
            raise PublicThrottled(wait)

    def dossier(self, code: str, id_last4: str):
        dossier = selectors.dossier_for_citizen(code, id_last4)
        if dossier is None:
            raise NotFound()
        return dossier


class CitizenDossierView(CitizenView):
    error_statuses = {"get": ("400",)}

    @extend_schema(
        summary="Look up a dossier (citizens, no login)",
        description=(
            "The citizen proves who they are with the last 4 characters of the applicant's ID "
            "number. A wrong proof answers 404, exactly like an unknown code. No personal data."
        ),
        auth=[],
        parameters=[s.CitizenLookupQuery],
        responses={200: s.CitizenDossierSerializer, 429: THROTTLED},
    )
    def get(self, request, code):
        query = s.CitizenLookupQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        dossier = self.dossier(code, query.validated_data["id_last4"])
        return Response(s.CitizenDossierSerializer(dossier).data)


class CitizenRatingView(CitizenView):
    error_statuses = {"post": ("409",)}

    @extend_schema(
        summary="Rate a dossier (citizens, no login)",
        description="Once per dossier, after its result was returned (state completed).",
        auth=[],
        request=s.RatingInput,
        responses={201: s.RatingSerializer, 429: THROTTLED},
    )
    def post(self, request, code):
        data = s.RatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        dossier = self.dossier(code, values["id_last4"])
        rating = rate_dossier(
            dossier=dossier,
            rating=values["rating"],
            complaint=values["complaint"],
            comment=values["comment"],
        )
        return Response(s.RatingSerializer(rating).data, status=status.HTTP_201_CREATED)
