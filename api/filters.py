"""Query-parameter filters shared by the API's lists."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from api.input import bounded_instant


class InstantField(IsoDateTimeField):
    default_error_messages = {
        "invalid": _(
            "Enter an ISO 8601 date and time, with a time-zone offset between -15:59 and +15:59."
        )
    }

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return bounded_instant(result)
        except ValueError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error


class InstantFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time (naive ones in the office time zone), compared in UTC: an offset
    PostgreSQL cannot store, or a year past 9999 once in UTC, is a 400, not a database error."""

    field_class = InstantField
