"""My queue: the dossiers waiting on my role in my units, one tab per kind of work.

The rows come from the API's scoped selector, its filters and its keyset pagination; this module
only says which states each role's tabs hold and reads one page.
"""

from dataclasses import dataclass

from django import forms
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from api.pagination import KeysetPagination
from desk.search import search_dossiers
from procedures import selectors
from procedures.calendar import get_calendar
from procedures.models import OPEN_STATES, Dossier, DossierState, Procedure, Role
from procedures.selectors import overdue_condition

S = DossierState


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    states: tuple


TABS = {
    "check": Tab("check", _("Online, to check"), (S.SUBMITTED,)),
    "intake": Tab("intake", _("To digitize and forward"), (S.INTAKE,)),
    "delivery": Tab("delivery", _("Results to return"), (S.DELIVERY,)),
    "supplement": Tab("supplement", _("Awaiting supplement"), (S.SUPPLEMENT,)),
    "appraisal": Tab("appraisal", _("To appraise"), (S.APPRAISAL,)),
    "approval": Tab("approval", _("To approve"), (S.APPROVAL,)),
    "signing": Tab("signing", _("To sign"), (S.SIGNING,)),
    "open": Tab("open", _("All open dossiers"), OPEN_STATES),
}
ROLE_TABS = {
    Role.CLERK: ("check", "intake", "delivery", "supplement"),
    Role.SPECIALIST: ("appraisal",),
    Role.APPROVER: ("approval", "signing"),
    Role.LEADER: ("open",),
    Role.INSPECTOR: ("open",),
    Role.ADMIN: ("check", "intake", "appraisal", "approval", "signing", "delivery", "open"),
}
# What a queue row shows, so the page reads no other column.
ROW_COLUMNS = (
    "code",
    "state",
    "channel",
    "applicant_full_name",
    "received_at",
    "due_at",
    "completed_at",
    "unit_id",
    "procedure__code",
    "procedure__name",
    "unit__name",
)
PAGE_SIZE = 25


def tabs_for(user) -> list[Tab]:
    return [TABS[key] for key in ROLE_TABS.get(user.effective_role, ())]


def rows(queryset):
    return queryset.select_related("procedure", "unit").only(*ROW_COLUMNS)


class QueueFilter(forms.Form):
    q = forms.CharField(label=_("Code or applicant's name"), required=False, max_length=100)
    procedure = forms.ModelChoiceField(
        label=_("Procedure"),
        queryset=Procedure.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("All procedures"),
    )
    state = forms.ChoiceField(label=_("State"), required=False)
    overdue = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[("", _("All")), ("true", _("Overdue")), ("false", _("Not overdue"))],
    )

    def __init__(self, *args, tab: Tab, procedures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = procedures
        self.fields["state"].choices = [("", _("All states"))] + [
            (state.value, state.label) for state in tab.states
        ]


class QueueView:
    """Sorts by due time; the pagination's `orderings` and `page_rows` protocol."""

    orderings = ("due_at",)
    default_ordering = "due_at"

    def page_rows(self, ids):
        return rows(Dossier.objects.filter(pk__in=ids))


def read_queue(request, *, tab: Tab, form: QueueFilter, page_size: int = PAGE_SIZE):
    """The counts per tab and one page of the chosen tab: (counts, rows, pagination)."""
    user = request.user
    visible = selectors.dossiers_visible_to(user)
    tab_states = {state for t in tabs_for(user) for state in t.states}
    per_state = dict(
        visible.filter(state__in=tab_states)
        .order_by()
        .values_list("state")
        .annotate(n=Count("*"))
        .values_list("state", "n")
    )
    counts = {t.key: sum(per_state.get(state, 0) for state in t.states) for t in tabs_for(user)}

    queryset = visible.filter(state__in=tab.states)
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("state"):
        queryset = queryset.filter(state=data["state"])
    if data.get("procedure"):
        queryset = queryset.filter(procedure=data["procedure"])
    if data.get("overdue"):
        condition = overdue_condition(timezone.now())
        queryset = (
            queryset.filter(condition) if data["overdue"] == "true" else queryset.exclude(condition)
        )
    queryset = search_dossiers(queryset, data.get("q", ""))

    params = request.GET.copy()
    params["page_size"] = str(page_size)
    params.pop("ordering", None)
    pagination = KeysetPagination()
    try:
        page = pagination.paginate_queryset(queryset, _PageRequest(request, params), QueueView())
    except ValidationError:  # a cursor tampered with or from another list: start again
        params.pop("cursor", None)
        page = pagination.paginate_queryset(queryset, _PageRequest(request, params), QueueView())
    annotate_deadlines(page)
    return counts, page, pagination


class _PageRequest:
    """What KeysetPagination reads of a request: its parameters and its URL."""

    def __init__(self, request, params):
        self._request = request
        self.query_params = params

    def build_absolute_uri(self):
        return self._request.build_absolute_uri()


def annotate_deadlines(dossiers, now=None) -> None:
    """Set `deadline_class` (overdue, soon, ok, finished, finished_late, paused or none) and the
    badge's words, `deadline_text`, on each dossier."""
    now = now or timezone.now()
    calendar = get_calendar()
    for dossier in dossiers:
        dossier.deadline_class, dossier.deadline_text = _deadline(dossier, now, calendar)


def _deadline(dossier, now, calendar) -> tuple[str, str]:
    if dossier.state == S.SUPPLEMENT:
        return "paused", gettext("Clock paused")
    if dossier.due_at is None:
        return "none", ""
    if dossier.completed_at is not None:
        if dossier.completed_at > dossier.due_at:
            return "finished_late", gettext("Finished late")
        return "finished", gettext("Finished on time")
    if dossier.is_overdue(now):
        days = max(0, calendar.count_working_days(dossier.due_at, now))
        text = ngettext("Overdue by %(days)s working day", "Overdue by %(days)s working days", days)
        return "overdue", text % {"days": days}
    if dossier.state not in OPEN_STATES:
        return "none", ""
    left = calendar.count_working_days(now, dossier.due_at)
    if left <= 0:
        return "soon", gettext("Due today")
    text = ngettext("%(days)s working day left", "%(days)s working days left", left)
    return ("soon" if left <= 1 else "ok"), text % {"days": left}
