"""The inspection log: append-only, like the dossiers' transition log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from inspections.models.findings import FollowUpState
from inspections.models.inspections import InspectionState
from procedures.models.append_only import AppendOnlyModel

# How each logged action and state reads (the log keeps codes); the transitions' labels come from
# their registries (inspections.models.transitions), which import this module.
LOG_ACTION_LABELS = {
    "create": _("Plan the inspection"),
    "update": _("Change the plan"),
    "sample": _("Draw the sample"),
    "check": _("Check a sampled dossier"),
    "record_finding": _("Record a finding"),
    "update_finding": _("Change a finding"),
    "delete_finding": _("Delete a finding"),
    "add_evidence": _("Add evidence"),
}
LOG_STATE_LABELS = {**dict(InspectionState.choices), **dict(FollowUpState.choices)}


class InspectionLog(AppendOnlyModel):
    """Append-only record of what was done on an inspection and its findings, by whom and when.

    Findings are referred to by number, so the record outlives a finding deleted before the
    inspection was concluded.
    """

    inspection = models.ForeignKey(
        "inspections.Inspection",
        verbose_name=_("inspection"),
        on_delete=models.PROTECT,
        related_name="log",
        db_index=False,  # served by inspection_log_at
    )
    finding_number = models.PositiveBigIntegerField(_("finding"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=32)
    source_state = models.CharField(_("from state"), max_length=16, blank=True)
    target_state = models.CharField(_("to state"), max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("inspection log entry")
        verbose_name_plural = _("inspection log")
        ordering = ["inspection", "at", "id"]
        indexes = [models.Index(fields=["inspection", "at"], name="inspection_log_at")]

    def __str__(self):
        return str(self.action_label)

    @property
    def action_label(self):
        from inspections.models.transitions import FOLLOW_UP_TRANSITIONS, INSPECTION_TRANSITIONS

        labels = {**LOG_ACTION_LABELS, **INSPECTION_TRANSITIONS, **FOLLOW_UP_TRANSITIONS}
        return labels.get(self.action, self.action)
