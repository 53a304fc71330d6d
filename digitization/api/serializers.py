from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from digitization import selectors
from digitization.definitions import lazy_help_text
from digitization.indicators import COUNT_NAMES, INDICATORS
from digitization.models import Satisfaction, SatisfactionRating
from procedures.models import Block, DossierState, Procedure

MAX_PERIOD_DAYS = 3660
MAX_DAILY_POINTS = 400
# The field of each indicator in the responses.
INDICATOR_FIELDS = {
    "on_time": "on_time_rate",
    "online": "online_rate",
    "e_result": "e_result_rate",
    "digitization": "digitization_rate",
    "reuse": "reuse_rate",
    "satisfaction": "satisfaction",
    "sync": "sync_rate",
    "payment_procedures": "payment_procedures_rate",
    "online_payment": "online_payment_rate",
    "score": "score",
}
COUNT_HELP = {
    "received": _("Dossiers received (online submissions refused at the check excluded)."),
    "received_online": _("Of those, received online."),
    "digitized": _(
        "Of those, fully digitized: every required component, and the result once issued."
    ),
    "reused": _("Of those, with at least one component reused from digitized data."),
    "finished": _("Dossiers completed or rejected in the period."),
    "finished_on_time": _("Of those, by their due date with at most one supplement request."),
    "finished_needing_result": _("Dossiers completed in the period that issue a result."),
    "finished_with_result": _("Of those, with the result document digitized."),
    "overdue_open": _("Dossiers past their due date and still open at the end of the period."),
    "rated": _("Satisfaction ratings given in the period."),
    "not_satisfied": _("Of those, not satisfied or with a complaint."),
    "accepted": _("Decision 766: dossiers accepted in the period (ngày tiếp nhận)."),
    "accepted_on_time": _(
        "Of those, ended by their due date or still open and not yet due on the judging day (2.1)."
    ),
    "carried": _(
        "Dossiers accepted before the period whose processing had not ended before it (2.1, "
        "reading processed)."
    ),
    "carried_on_time": _("Of those, on time or still within time (2.1)."),
    "accepted_online": _("Accepted, online with the e-result where one is due (3.3)."),
    "accepted_direct": _("Accepted, submitted at the counter (3.3)."),
    "accepted_postal": _("Accepted, submitted by post (3.3)."),
    "paper_result": _("Accepted, of procedures returning a result document (4.1)."),
    "paper_result_issued": _("Of those, with the result issued (4.1)."),
    "e_result": _("Of those, with the result file (4.1)."),
    "digitized_any": _(
        "Accepted, with a component file and the result file where one is due (4.2)."
    ),
    "digitized_all": _(
        "Accepted, with every required component and the result file where one is due (4.2)."
    ),
    "accepted_reused": _("Accepted, with a component reused from digitized data (4.3)."),
    "disliked": _("Accepted, rated not satisfied or with a complaint (5.4)."),
    "disliked_late": _("Of those, late (5.4)."),
}
INDICATOR_HELP = {name: lazy_help_text(name) for name in INDICATOR_FIELDS}


def _rate(name: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text=INDICATOR_HELP[name],
    )


def number(value: Decimal | None) -> float | None:
    """A rounded rate as the JSON number it is shown as (exports print two decimals)."""
    return None if value is None else float(value)


def counts_and_rates(counts, values) -> dict:
    data = counts.as_dict()
    data.update({INDICATOR_FIELDS[name]: number(value) for name, value in values.items()})
    return data


def unit_row(row: "selectors.UnitIndicators") -> dict:
    return {
        "unit": row.unit.code,
        "unit_name": row.unit.name,
        "block": row.unit.block,
        **counts_and_rates(row.counts, row.values),
    }


# --- query parameters -------------------------------------------------------------------------


class PeriodQuery(serializers.Serializer):
    """`from` and `to` (keywords in Python, hence declared in get_fields)."""

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False,
            help_text=_("First day of the period (YYYY-MM-DD); default 1 January of `to`'s year."),
        )
        fields["to"] = serializers.DateField(
            required=False, help_text=_("Last day of the period, included; default today.")
        )
        return fields

    def validate(self, attrs):
        end = attrs.pop("to", None) or timezone.localdate()
        start = attrs.pop("from", None) or date(end.year, 1, 1)
        if start > end:
            raise serializers.ValidationError(
                {"from": [_("The period must not start after it ends.")]}
            )
        if (end - start).days >= MAX_PERIOD_DAYS:
            message = _("The period may not be longer than %(days)d days.")
            raise serializers.ValidationError({"to": [message % {"days": MAX_PERIOD_DAYS}]})
        attrs["start"], attrs["end"] = start, end
        return attrs


class UnitChoiceMixin(serializers.Serializer):
    unit = serializers.CharField(
        required=False, help_text=_("A unit code; only the units under your authority.")
    )

    def validate_unit(self, code):
        unit = selectors.metric_unit(self.context["request"].user, code)
        if unit is None:
            raise serializers.ValidationError(
                _("No unit handling procedures with this code is under your authority.")
            )
        return unit


class BlockField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Block.choices, required=False, **kwargs)


class UnitsQuery(UnitChoiceMixin, PeriodQuery):
    block = BlockField(help_text=_("Only the units of this block."))


class BlocksQuery(PeriodQuery):
    pass


class RankingsQuery(PeriodQuery):
    indicator = serializers.ChoiceField(
        choices=list(INDICATORS.items()), default="score", help_text=_("What to rank by.")
    )
    block = BlockField(help_text=_("Rank the units of this block (all units when left out)."))


class TrendQuery(UnitChoiceMixin, PeriodQuery):
    indicator = serializers.ChoiceField(choices=list(INDICATORS.items()), default="score")
    granularity = serializers.ChoiceField(
        choices=[(g, g) for g in selectors.GRANULARITIES], default="month"
    )
    block = BlockField(help_text=_("Without `unit`: only the units of this block."))

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if (
            attrs["granularity"] == "day"
            and (attrs["end"] - attrs["start"]).days >= MAX_DAILY_POINTS
        ):
            raise serializers.ValidationError(
                {
                    "granularity": [
                        _("Daily points are given for up to %(days)d days; choose week or month.")
                        % {"days": MAX_DAILY_POINTS}
                    ]
                }
            )
        return attrs


class ProcessingTimeQuery(PeriodQuery):
    procedure = serializers.CharField(help_text=_("The national code of the procedure."))
    block = BlockField(help_text=_("Only the units of this block."))

    def validate_procedure(self, code):
        procedure = Procedure.objects.filter(code=code).first()
        if procedure is None:
            raise serializers.ValidationError(_("No procedure has this code."))
        return procedure


# --- responses --------------------------------------------------------------------------------


class CountsAndRatesSerializer(serializers.Serializer):
    def get_fields(self):
        fields = super().get_fields()
        for name in COUNT_NAMES:
            fields[name] = serializers.IntegerField(help_text=COUNT_HELP[name])
        for name, field in INDICATOR_FIELDS.items():
            fields[field] = _rate(name)
        return fields


class UnitMetricsSerializer(CountsAndRatesSerializer):
    unit = serializers.CharField(help_text=_("Unit code."))
    unit_name = serializers.CharField()
    block = serializers.ChoiceField(choices=Block.choices)


class BlockMetricsSerializer(CountsAndRatesSerializer):
    block = serializers.ChoiceField(choices=Block.choices)
    units = serializers.IntegerField(help_text=_("Units of the block counted."))


class RankedUnitSerializer(UnitMetricsSerializer):
    rank = serializers.IntegerField(
        allow_null=True,
        help_text=_("Competition ranking (1, 2, 2, 4): equal values share a rank."),
    )
    value = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text=_("The ranked indicator's value; null (and no rank) without data."),
    )


class TrendPointSerializer(CountsAndRatesSerializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True
    )


class PeriodResponse(serializers.Serializer):
    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields


class UnitMetricsResponse(PeriodResponse):
    results = UnitMetricsSerializer(many=True)


class BlockMetricsResponse(PeriodResponse):
    results = BlockMetricsSerializer(many=True)


class RankingsResponse(PeriodResponse):
    indicator = serializers.CharField()
    block = serializers.CharField(allow_null=True)
    results = RankedUnitSerializer(many=True)


class TrendResponse(PeriodResponse):
    indicator = serializers.CharField()
    granularity = serializers.CharField()
    unit = serializers.CharField(allow_null=True)
    results = TrendPointSerializer(many=True)


class ProcessingTimeRowSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text=_("Unit code."))
    unit_name = serializers.CharField()
    block = serializers.ChoiceField(choices=Block.choices)
    completed = serializers.IntegerField(help_text=lazy_help_text("processing_time"))
    working_days = serializers.IntegerField(
        help_text=_("Their working days from acceptance to the result, less supplement pauses.")
    )
    average = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text=_("Working days per dossier (2.2); null without a completed dossier."),
    )


class ProcessingTimeResponse(PeriodResponse):
    procedure = serializers.CharField()
    procedure_name = serializers.CharField()
    results = ProcessingTimeRowSerializer(many=True)


class ReadingSerializer(serializers.Serializer):
    setting = serializers.CharField(help_text=_("The setting that chooses the reading."))
    in_force = serializers.CharField(help_text=_("The reading in force."))
    options = serializers.DictField(
        child=serializers.CharField(), help_text=_("Each reading and what it counts.")
    )


class DefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    code = serializers.CharField(help_text=_("The indicator's number in Decision 766."))
    group = serializers.CharField()
    national_name = serializers.CharField()
    label = serializers.CharField()
    field = serializers.CharField(
        allow_null=True, help_text=_("Its field in the metrics responses.")
    )
    unit = serializers.ChoiceField(choices=[("percent", "percent"), ("working_days", "days")])
    numerator = serializers.CharField()
    denominator = serializers.CharField()
    period_date = serializers.CharField(help_text=_("Which date puts a dossier in the period."))
    available = serializers.BooleanField()
    unavailable_reason = serializers.CharField(allow_null=True)
    points = serializers.FloatField(allow_null=True, help_text=_("Maximum points; null: none."))
    threshold = serializers.FloatField(
        allow_null=True, help_text=_("Full marks from this rate (%); 100 = linear.")
    )
    points_confirmed = serializers.BooleanField(
        help_text=_("False: a default from one source only, to be checked by an administrator.")
    )
    readings = ReadingSerializer(many=True)


class ScoringSerializer(serializers.Serializer):
    legal_basis = serializers.CharField()
    effective_from = serializers.DateField()
    score = serializers.CharField()


class GroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    points = serializers.IntegerField()


class DefinitionsResponse(serializers.Serializer):
    scoring = ScoringSerializer()
    groups = GroupSerializer(many=True)
    indicators = DefinitionSerializer(many=True)


# --- citizens ---------------------------------------------------------------------------------


def id_last4_field() -> serializers.RegexField:
    return serializers.RegexField(
        r"^[0-9A-Za-z]{4}$",
        help_text=_("The last 4 characters of the applicant's ID number."),
        error_messages={"invalid": _("Give the last 4 letters or digits of the ID number.")},
    )


class CitizenLookupQuery(serializers.Serializer):
    id_last4 = id_last4_field()


class CitizenDossierSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure = serializers.CharField(source="procedure.code")
    procedure_name = serializers.CharField(source="procedure.name")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    state = serializers.ChoiceField(choices=DossierState.choices)
    state_display = serializers.CharField(source="get_state_display")
    step = serializers.IntegerField(allow_null=True, help_text=_("1-5, or null outside the steps."))
    national_status = serializers.IntegerField(help_text=_("The national portal's status, 1-10."))
    received_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    rated = serializers.SerializerMethodField(help_text=_("Whether a rating was given."))
    can_rate = serializers.SerializerMethodField(
        help_text=_("Whether a rating may be given now (result returned, not yet rated).")
    )

    def _rated(self, dossier) -> bool:
        try:
            return dossier.satisfaction_rating is not None
        except SatisfactionRating.DoesNotExist:
            return False

    def get_rated(self, dossier) -> bool:
        return self._rated(dossier)

    def get_can_rate(self, dossier) -> bool:
        return dossier.state == DossierState.COMPLETED and not self._rated(dossier)


class RatingInput(serializers.Serializer):
    id_last4 = id_last4_field()
    rating = serializers.ChoiceField(choices=Satisfaction.choices)
    complaint = serializers.BooleanField(
        default=False, help_text=_("The citizen also files a complaint.")
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RatingSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="dossier.code")

    class Meta:
        model = SatisfactionRating
        fields = ["code", "rating", "complaint", "comment", "rated_at"]
