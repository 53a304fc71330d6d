"""How a dossier's records read in the admin: the transition log with labels, staff names and
readable details instead of codes (`accept`, `intake`) and JSON; stored files as links to the
view that checks the reader's scope, never a public media URL.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from procedures.models import LOG_LABELS, Channel, DossierTransition

LOG_ACTION_LABELS = LOG_LABELS

PAYLOAD_LABELS = {
    "channel": _("Channel"),
    "received_at": _("Received at"),
    "reason": _("Reason"),
    "opinion": _("Appraisal opinion"),
    "working_days_left": _("Working days left"),
    "result_file": _("Result document"),
}


def action_label(action: str) -> str:
    return LOG_ACTION_LABELS.get(action, action)


def staff_name(user) -> str:
    if user is None:
        return _("the system")
    return user.get_full_name() or user.username


def _payload_value(key, value):
    if key == "channel":
        return Channel(value).label if value in Channel.values else value
    if key == "received_at" and isinstance(value, str) and (moment := parse_datetime(value)):
        return date_format(localtime(moment), "DATETIME_FORMAT")
    if key == "result_file" and value:
        return format_html(
            '<a href="{}">{}</a>', reverse("digitized-file", args=[value]), _("open the file")
        )
    return value


def readable_details(payload: dict):
    """The payload as `label: value` lines, in a stable order."""
    if not payload:
        return "—"
    known = [key for key in PAYLOAD_LABELS if key in payload]
    other = sorted(key for key in payload if key not in PAYLOAD_LABELS)
    return format_html_join(
        "",
        "<div>{}: {}</div>",
        (
            (PAYLOAD_LABELS.get(key, key), _payload_value(key, payload[key]))
            for key in [*known, *other]
        ),
    )


class ReadableLogMixin:
    """Display columns shared by the log inline on the dossier page and the log's own pages."""

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, entry: DossierTransition):
        return action_label(entry.action)

    @admin.display(description=_("from state"), ordering="source_state")
    def source_label(self, entry: DossierTransition):
        return entry.get_source_state_display() or "—"

    @admin.display(description=_("to state"), ordering="target_state")
    def target_label(self, entry: DossierTransition):
        return entry.get_target_state_display()

    @admin.display(description=_("staff member"), ordering="actor__last_name")
    def actor_name(self, entry: DossierTransition):
        return staff_name(entry.actor)

    @admin.display(description=_("details"))
    def details(self, entry: DossierTransition):
        return readable_details(entry.payload)


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return list(LOG_ACTION_LABELS.items())

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action=self.value())
        return queryset


def file_link(stored):
    """A link to a stored file through the view that checks the reader's scope."""
    if stored is None:
        return "—"
    return format_html('<a href="{}">{}</a>', reverse("digitized-file", args=[stored.pk]), stored)
