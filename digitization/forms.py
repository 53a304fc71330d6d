"""The dashboard's period form: presets (this month, quarter, year) or dd/mm/yyyy dates."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digitization.api.serializers import MAX_PERIOD_DAYS
from digitization.indicators import INDICATORS
from procedures.models import Block

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]  # what people type; ISO for links and the older URLs
PRESETS = [
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Chosen dates")),
]
PRESET_LINKS = PRESETS[:3]
GRANULARITY_CHOICES = [("month", _("By month")), ("week", _("By week"))]
DATE_ERRORS = {"invalid": _("Enter a date as dd/mm/yyyy, e.g. 31/12/2026.")}


def preset_period(preset: str, today: date) -> tuple[date, date]:
    if preset == "month":
        return today.replace(day=1), today
    if preset == "quarter":
        return date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today
    return date(today.year, 1, 1), today


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    start = forms.DateField(
        label=_("From"),
        required=False,
        input_formats=DATE_FORMATS,
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "size": 10}),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        input_formats=DATE_FORMATS,
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "size": 10}),
    )
    block = forms.ChoiceField(
        label=_("Block"), required=False, choices=[("", _("All blocks")), *Block.choices]
    )
    indicator = forms.ChoiceField(
        label=_("Rank by"), required=False, choices=list(INDICATORS.items())
    )
    granularity = forms.ChoiceField(label=_("Trend"), required=False, choices=GRANULARITY_CHOICES)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        today = timezone.localdate()
        preset = data.get("period") or (
            "custom" if data.get("start") or data.get("end") else "year"
        )
        if preset == "custom":
            end = data.get("end") or today
            start = data.get("start") or date(end.year, 1, 1)
        else:
            start, end = preset_period(preset, today)
        if start > end:
            raise forms.ValidationError(_("The period must not start after it ends."))
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise forms.ValidationError(
                _("The period may not be longer than %(days)d days.") % {"days": MAX_PERIOD_DAYS}
            )
        data.update(
            period=preset,
            start=start,
            end=end,
            block=data.get("block") or None,
            indicator=data.get("indicator") or "score",
            granularity=data.get("granularity") or "month",
        )
        return data
