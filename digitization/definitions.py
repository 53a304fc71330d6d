"""What each indicator counts, as the API documents it (schema help texts and
GET /api/v1/metrics/definitions/, which the dashboard's tooltips read).

One place for the words: digitization.indicators computes what is written here.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from digitization.indicators import UNAVAILABLE, scoring_in_force

ACCEPTANCE = _("The day of acceptance (ngày tiếp nhận); dossiers never accepted never count.")

# The national portal's groups and their points (confirmed by two sources, docs).
GROUPS = (
    ("1", _("Publicity and transparency"), 18),
    ("2", _("Progress and results"), 20),
    ("3", _("Online public services"), 12),
    ("payment", _("Online payment"), 10),
    ("4", _("Digitization of dossiers"), 22),
    ("5", _("Satisfaction"), 18),
)


@dataclass(frozen=True)
class Reading:
    """A point the reference marks uncertain: the setting that chooses, and its options."""

    setting: str
    options: dict  # value -> description

    @property
    def in_force(self) -> str:
        return str(getattr(settings, self.setting))


@dataclass(frozen=True)
class Definition:
    key: str
    code: str
    group: str
    national_name: str
    label: str
    field: str | None  # the field of the metrics responses; None for 2.2 (its own endpoint)
    unit: str  # "percent" or "working_days"
    numerator: str
    denominator: str
    period_date: str
    readings: tuple[Reading, ...] = ()


DEFINITIONS = (
    Definition(
        key="sync",
        code="1.4",
        group="1",
        national_name="Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia",
        label=_("Synced to the national portal"),
        field="sync_rate",
        unit="percent",
        numerator=_("Dossiers accepted in the period and synced to the national portal."),
        denominator=_(
            "The larger of the dossiers accepted in the period here, in the national reporting "
            "system and in the portal's statistics."
        ),
        period_date=ACCEPTANCE,
    ),
    Definition(
        key="on_time",
        code="2.1",
        group="2",
        national_name="Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn",
        label=_("On-time rate"),
        field="on_time_rate",
        unit="percent",
        numerator=_(
            "Of those, the dossiers whose processing ended by their due date, or still open and "
            "not yet due on the judging day. Processing ends when the result is issued (Đã xử lý "
            "xong, else Đã trả kết quả), processing is stopped or rejected, the citizen "
            "withdraws, or a supplement is requested and not yet supplied (at the request). A "
            "dossier with more than one supplement request is late. The due date is the one "
            "moved when a supplement was supplied, so the pause is not subtracted again."
        ),
        denominator=_(
            "Dossiers accepted in the period (reading accepted), plus those accepted earlier "
            "whose processing had not ended before the period (reading processed). Dossiers "
            "refused at intake never count."
        ),
        period_date=ACCEPTANCE,
        readings=(
            Reading(
                "METRICS_ON_TIME_DOSSIERS",
                {
                    "accepted": _("Only dossiers accepted in the period (reading A)."),
                    "processed": _("Also those accepted earlier and still processed (reading B)."),
                },
            ),
            Reading(
                "METRICS_OPEN_JUDGED_AT",
                {
                    "period_end": _("A dossier still open is judged on the period's last day."),
                    "today": _("Judged today while the period runs past today."),
                },
            ),
        ),
    ),
    Definition(
        key="processing_time",
        code="2.2",
        group="2",
        national_name="Thời gian giải quyết TTHC trung bình theo từng TTHC",
        label=_("Average processing time of a procedure"),
        field=None,
        unit="working_days",
        numerator=_(
            "The working days from acceptance to the result issued, less the working days "
            "waiting for supplements, summed over the dossiers."
        ),
        denominator=_(
            "Dossiers of the selected procedure accepted in the period whose result is issued "
            "(Đã xử lý xong or Đã trả kết quả, even after the period)."
        ),
        period_date=ACCEPTANCE,
    ),
    Definition(
        key="online",
        code="3.3",
        group="3",
        national_name="Tỷ lệ hồ sơ TTHC theo hình thức nộp hồ sơ",
        label=_("Online rate"),
        field="online_rate",
        unit="percent",
        numerator=_(
            "Dossiers accepted in the period submitted online and, for a procedure returning a "
            "result document, with the electronic result issued; times the sync rate (1.4), "
            "METRICS_SYNC_RATE until sync exists."
        ),
        denominator=_("Dossiers accepted in the period."),
        period_date=ACCEPTANCE,
    ),
    Definition(
        key="payment_procedures",
        code="3.5",
        group="payment",
        national_name=(
            "Tỷ lệ TTHC có yêu cầu nghĩa vụ tài chính được tích hợp để người dân có thể thanh "
            "toán trực tuyến trên Cổng Dịch vụ công quốc gia"
        ),
        label=_("Fee-bearing procedures paid online"),
        field="payment_procedures_rate",
        unit="percent",
        numerator=_(
            "Fee-bearing procedures with a dossier synced with fee data, accepted in the period."
        ),
        denominator=_("Procedures with a fee in the national procedure database."),
        period_date=ACCEPTANCE,
    ),
    Definition(
        key="online_payment",
        code="3.6",
        group="payment",
        national_name="Tỷ lệ hồ sơ thanh toán trực tuyến",
        label=_("Dossiers paid online"),
        field="online_payment_rate",
        unit="percent",
        numerator=_("Of those, the dossiers paid online."),
        denominator=_("Fee-bearing dossiers accepted in the period."),
        period_date=ACCEPTANCE,
    ),
    Definition(
        key="e_result",
        code="4.1",
        group="4",
        national_name=(
            "Tỷ lệ hồ sơ thủ tục hành chính có cấp kết quả giải quyết thủ tục hành chính điện tử"
        ),
        label=_("E-result rate"),
        field="e_result_rate",
        unit="percent",
        numerator=_("Of those, the dossiers whose result is issued with its result file."),
        denominator=_(
            "Dossiers accepted in the period of procedures returning a result document (reading "
            "accepted), or only those whose result is issued (reading completed)."
        ),
        period_date=ACCEPTANCE,
        readings=(
            Reading(
                "METRICS_E_RESULT_DENOMINATOR",
                {
                    "accepted": _("Every dossier of a procedure returning a result document."),
                    "completed": _("Only those whose result is issued."),
                },
            ),
        ),
    ),
    Definition(
        key="digitization",
        code="4.2",
        group="4",
        national_name="Tỷ lệ hồ sơ thủ tục hành chính thực hiện số hóa hồ sơ",
        label=_("Digitization rate"),
        field="digitization_rate",
        unit="percent",
        numerator=_(
            "Of those, the dossiers with at least one component digitized (reading any_file) or "
            "every required one (reading all_required), and, for a procedure returning a result "
            "document, the result file attached."
        ),
        denominator=_("Dossiers accepted in the period."),
        period_date=ACCEPTANCE,
        readings=(
            Reading(
                "METRICS_DIGITIZATION_COMPONENTS",
                {
                    "any_file": _("One component file suffices."),
                    "all_required": _("Every required component must be digitized."),
                },
            ),
        ),
    ),
    Definition(
        key="reuse",
        code="4.3",
        group="4",
        national_name="Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
        label=_("Reuse rate"),
        field="reuse_rate",
        unit="percent",
        numerator=_("Of those, the dossiers with a component reused from digitized data."),
        denominator=_("Dossiers accepted in the period."),
        period_date=ACCEPTANCE,
    ),
    Definition(
        key="satisfaction",
        code="5.4",
        group="5",
        national_name="Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
        label=_("Satisfaction"),
        field="satisfaction",
        unit="percent",
        numerator=_(
            "100 % minus (late dossiers as in 2.1 + dossiers rated not satisfied or with a "
            "complaint) / dossiers, at least 0; a late and disliked dossier counts twice "
            "(reading sum_of_rates) or once (reading distinct_dossiers)."
        ),
        denominator=_("Dossiers accepted in the period."),
        period_date=ACCEPTANCE,
        readings=(
            Reading(
                "METRICS_SATISFACTION_COUNTING",
                {
                    "sum_of_rates": _("100 - (overdue rate + disliked rate)."),
                    "distinct_dossiers": _("A late and disliked dossier counted once."),
                },
            ),
        ),
    ),
)
BY_KEY = {definition.key: definition for definition in DEFINITIONS}
SCORE_HELP = _(
    "The national points (METRICS_SCORING, the set in force on the period's first day) of the "
    "indicators that have a value, rescaled to 0-100: each earns points x min(1, rate / "
    "threshold)."
)


def help_text(key: str) -> str:
    """The schema's description of an indicator's field."""
    if key == "score":
        return str(SCORE_HELP)
    definition = BY_KEY[key]
    text = (
        f"{definition.code}: {definition.numerator} / {definition.denominator} "
        f"{_('Period date')}: {definition.period_date}"
    )
    if key in UNAVAILABLE:
        text = f"{text} {_('Always null')}: {UNAVAILABLE[key]}"
    return text


lazy_help_text = lazy(help_text, str)


def definitions_data(on=None) -> dict:
    """The body of GET /api/v1/metrics/definitions/, with the points in force on `on` (today)."""
    scoring = scoring_in_force(on or timezone.localdate())
    indicators = []
    for definition in DEFINITIONS:
        spec = scoring.spec(definition.key)
        maximum, threshold, confirmed = spec if spec else (None, None, False)
        indicators.append(
            {
                "key": definition.key,
                "code": definition.code,
                "group": definition.group,
                "national_name": definition.national_name,
                "label": str(definition.label),
                "field": definition.field,
                "unit": definition.unit,
                "numerator": str(definition.numerator),
                "denominator": str(definition.denominator),
                "period_date": str(definition.period_date),
                "available": definition.key not in UNAVAILABLE,
                "unavailable_reason": (
                    str(UNAVAILABLE[definition.key]) if definition.key in UNAVAILABLE else None
                ),
                "points": None if maximum is None else float(maximum),
                "threshold": None if threshold is None else float(threshold),
                "points_confirmed": confirmed,
                "readings": [
                    {
                        "setting": reading.setting,
                        "in_force": reading.in_force,
                        "options": {key: str(text) for key, text in reading.options.items()},
                    }
                    for reading in definition.readings
                ],
            }
        )
    return {
        "scoring": {
            "legal_basis": scoring.legal_basis,
            "effective_from": scoring.effective_from,
            "score": str(SCORE_HELP),
        },
        "groups": [
            {"code": code, "name": str(name), "points": group_points}
            for code, name, group_points in GROUPS
        ],
        "indicators": indicators,
    }
