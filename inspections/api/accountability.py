"""The accountability endpoints: per staff member, per unit, and the overdue dossiers with who
held them when they went late (inspections.accountability has the rules)."""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from inspections import accountability, selectors
from inspections.accountability import STEPS
from inspections.models import BreachKind, Severity
from procedures.api.permissions import OVERSIGHT
from procedures.models import Dossier
from procedures.selectors import units_visible_to

# --- serializers --------------------------------------------------------------------------------


def _counts(name: str, keys, help_text) -> type[serializers.Serializer]:
    fields = {key: serializers.IntegerField() for key in keys}
    serializer = type(name, (serializers.Serializer,), fields)
    serializer.__doc__ = str(help_text)
    return serializer


LateByStep = _counts("LateByStep", STEPS, _("Overdue dossiers per step that held them."))
FindingsByKind = _counts("FindingsByKind", BreachKind.values, _("Findings per kind of breach."))
FindingsBySeverity = _counts("FindingsBySeverity", Severity.values, _("Findings per severity."))


class FindingCounts(serializers.Serializer):
    total = serializers.IntegerField()
    by_kind = FindingsByKind()
    by_severity = FindingsBySeverity()


class FiguresSerializer(serializers.Serializer):
    dossiers_handled = serializers.IntegerField(
        help_text=_("Dossiers received in the period with a step held.")
    )
    late_at_step = serializers.IntegerField(
        help_text=_("Overdue dossiers held at a step when their due date passed.")
    )
    late_by_step = LateByStep()
    finished_step_visits = serializers.IntegerField()
    average_hours_at_step = serializers.FloatField(
        allow_null=True,
        help_text=_("Mean length of a finished step, in calendar hours (days off included)."),
    )
    findings = FindingCounts()


class StaffFiguresSerializer(FiguresSerializer):
    staff = serializers.CharField(
        source="staff.username",
        allow_null=True,
        help_text=_("Username; null for overdue dossiers nobody was assigned."),
    )
    full_name = serializers.CharField(source="staff.get_full_name", allow_null=True)
    unit = serializers.CharField(source="staff.unit.code", allow_null=True)
    role = serializers.CharField(source="staff.role", allow_null=True)


class UnitFiguresSerializer(FiguresSerializer):
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    block = serializers.CharField(source="unit.block")
    dossiers_received = serializers.IntegerField()
    late = serializers.IntegerField(help_text=_("All overdue dossiers received in the period."))


PeriodQuery = type(
    "PeriodQuery",
    (serializers.Serializer,),
    {
        "unit": serializers.CharField(
            required=False, help_text=_("Unit code: that unit and the units below it.")
        ),
        "from": serializers.DateField(
            required=False, help_text=_("First day of receipt (default: 30 days before `to`).")
        ),
        "to": serializers.DateField(
            required=False, help_text=_("Last day of receipt, inclusive (default: today).")
        ),
    },
)


class LateDossierSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="code")
    unit = serializers.CharField(source="unit.code")
    procedure = serializers.CharField(source="procedure.code")
    late_step = serializers.ChoiceField(
        source="late_state",
        choices=[(s, s) for s in STEPS],
        allow_null=True,
        help_text=_("The step the dossier was in when its due date passed."),
    )
    held_by = serializers.CharField(
        source="late_holder",
        allow_null=True,
        help_text=_("Username of who held it then; null when nobody was assigned."),
    )

    class Meta:
        model = Dossier
        fields = [
            "dossier",
            "unit",
            "procedure",
            "state",
            "received_at",
            "due_at",
            "completed_at",
            "late_step",
            "held_by",
        ]


# --- views --------------------------------------------------------------------------------------


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


class PeriodMixin:
    permission_classes = [OVERSIGHT]

    def period(self) -> dict:
        query = PeriodQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        for name in ("from", "to"):  # the period's bounds must stay dates in every time zone
            day = data.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                message = _("Choose a day from %(first)s to %(last)s.")
                raise ValidationError({name: [message % {"first": FIRST_DAY, "last": LAST_DAY}]})
        last_day = data.get("to") or timezone.localdate()
        first_day = data.get("from") or last_day - timedelta(days=30)
        if first_day > last_day:
            raise ValidationError({"from": [_("The period must start before it ends.")]})
        unit = None
        if data.get("unit"):
            unit = units_visible_to(self.request.user).filter(code=data["unit"]).first()
            if unit is None:
                raise ValidationError({"unit": [_("Unknown unit.")]})
        return {"unit": unit, "first_day": first_day, "last_day": last_day}

    def scope(self):
        period = self.period()
        return period, selectors.accountability_scope(self.request.user, **period)

    @staticmethod
    def report_response(period, rows, serializer_class) -> Response:
        return Response(
            {
                "unit": period["unit"].code if period["unit"] else None,
                "from": period["first_day"],
                "to": period["last_day"],
                "results": serializer_class(rows, many=True).data,
            }
        )


def _report(name, row_serializer):
    return inline_serializer(
        name,
        {
            "unit": serializers.CharField(allow_null=True),
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "results": row_serializer(many=True),
        },
    )


class StaffAccountabilityView(PeriodMixin, GenericAPIView):
    """Per staff member, for the dossiers received in the period in the units asked."""

    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Accountability per staff member (leaders, inspectors)",
        parameters=[PeriodQuery],
        responses={200: _report("StaffAccountability", StaffFiguresSerializer)},
    )
    def get(self, request):
        period, scope = self.scope()
        rows = accountability.staff_report(scope=scope, now=timezone.now())
        return self.report_response(period, rows, StaffFiguresSerializer)


class UnitAccountabilityView(PeriodMixin, GenericAPIView):
    """Per unit, for the dossiers received in the period in the units asked."""

    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Accountability per unit (leaders, inspectors)",
        parameters=[PeriodQuery],
        responses={200: _report("UnitAccountability", UnitFiguresSerializer)},
    )
    def get(self, request):
        period, scope = self.scope()
        rows = accountability.unit_report(scope=scope, now=timezone.now())
        return self.report_response(period, rows, UnitFiguresSerializer)


class LateDossierListView(PeriodMixin, ListAPIView):
    """Every overdue dossier received in the period, with the step and person that held it when
    its due date passed."""

    serializer_class = LateDossierSerializer
    filter_backends = []
    orderings = ("due_at", "-due_at")
    default_ordering = "due_at"

    def get_queryset(self):
        _period, scope = self.scope()
        return accountability.late_dossiers(scope.dossiers, timezone.now())

    @extend_schema(
        summary="Overdue dossiers and who held them when they went late (leaders, inspectors)",
        parameters=[PeriodQuery],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
