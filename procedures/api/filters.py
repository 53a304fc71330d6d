import django_filters
from django.db.models import Subquery, Value
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.filters import InstantFilter
from procedures.models import Channel, Dossier, DossierState, Procedure, Unit
from procedures.selectors import overdue_condition


class DossierFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=DossierState.choices,
        distinct=False,
        help_text=_("Repeat to match several states."),
    )
    unit = django_filters.CharFilter(method="filter_unit", help_text=_("Unit code."))
    procedure = django_filters.CharFilter(
        method="filter_procedure", help_text=_("National procedure code.")
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_overdue",
        help_text=_("true: past the due date (open) or finished late; false: the others."),
    )
    received_after = InstantFilter(field_name="received_at", lookup_expr="gte")
    received_before = InstantFilter(field_name="received_at", lookup_expr="lt")
    due_before = InstantFilter(field_name="due_at", lookup_expr="lt")
    q = django_filters.CharFilter(
        method="filter_search",
        help_text=_("A dossier code (or its beginning), or part of the applicant's name."),
    )

    class Meta:
        model = Dossier
        fields = []

    # A code is matched by a subquery giving the row's id, not by joining the table: compared with
    # one value, the dossiers come in the order of their (unit | procedure, received_at) index, so
    # a page of a busy unit's newest reads its rows alone instead of sorting all of its period.
    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit_id=Subquery(Unit.objects.filter(code=value).values("id")))

    def filter_procedure(self, queryset, name, value):
        return queryset.filter(
            procedure_id=Subquery(Procedure.objects.filter(code=value).values("id"))
        )

    def filter_overdue(self, queryset, name, value):
        condition = overdue_condition(timezone.now())
        return queryset.filter(condition) if value == "true" else queryset.exclude(condition)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if any(ch.isdigit() for ch in value) and " " not in value:
            return queryset.filter(code__startswith=value.upper())
        # Against the stored capitals (Dossier.applicant_name_search), the pattern put in capitals
        # by the database too, so both follow the same case rules.
        return queryset.filter(applicant_name_search__contains=Upper(Value(value)))
