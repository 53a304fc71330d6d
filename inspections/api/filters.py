import django_filters
from django.utils.translation import gettext_lazy as _

from inspections.models import (
    BreachKind,
    Finding,
    FollowUpState,
    Inspection,
    InspectionKind,
    InspectionState,
    Severity,
)


class InspectionFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", help_text=_("Unit code."))
    kind = django_filters.ChoiceFilter(choices=InspectionKind.choices)
    state = django_filters.MultipleChoiceFilter(
        choices=InspectionState.choices, help_text=_("Repeat to match several states.")
    )

    class Meta:
        model = Inspection
        fields = []


class FindingFilter(django_filters.FilterSet):
    inspection = django_filters.NumberFilter(field_name="inspection_id")
    unit = django_filters.CharFilter(
        field_name="inspection__unit__code", help_text=_("Code of the inspected unit.")
    )
    staff = django_filters.CharFilter(field_name="staff__username", help_text=_("Username."))
    mine = django_filters.BooleanFilter(
        method="filter_mine", help_text=_("true: only the findings about yourself.")
    )
    kind = django_filters.ChoiceFilter(choices=BreachKind.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    follow_up = django_filters.MultipleChoiceFilter(
        choices=FollowUpState.choices, help_text=_("Repeat to match several states.")
    )

    class Meta:
        model = Finding
        fields = []

    def filter_mine(self, queryset, name, value):
        if value is None:
            return queryset
        mine = {"staff_id": self.request.user.pk}
        return queryset.filter(**mine) if value else queryset.exclude(**mine)
