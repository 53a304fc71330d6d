"""Inspections of a unit's handling of procedures, and the dossier samples they check.

The state machine changes the instance in memory only; inspections.services is what calls it,
saves and writes the InspectionLog.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from inspections.models.findings import FollowUpState
from procedures import authorization
from procedures.models import Role
from procedures.models.dossiers import condition, required_text


class InspectionKind(models.TextChoices):
    REGULAR = "regular", _("Regular")
    UNANNOUNCED = "unannounced", _("Unannounced")


class InspectionState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    CONCLUDED = "concluded", _("Concluded")
    CLOSED = "closed", _("Closed")


def led_by_lead(inspection, user) -> bool:
    """A transition permission: the team lead, or an administrator."""
    return authorization.may_act(user, roles={Role.INSPECTOR}, among={inspection.lead_id})


led_by_lead.message = _("Only the team lead may do this.")


@condition(
    "checklist_unchecked",
    _("Every checklist item of the sampled dossiers must be confirmed or corrected first."),
)
def checklist_checked(inspection) -> bool:
    return not ChecklistItem.objects.filter(
        sampled__inspection=inspection, checked_at__isnull=True
    ).exists()


@condition("findings_not_verified", _("Every finding must be verified as remedied first."))
def findings_verified(inspection) -> bool:
    return not inspection.findings.exclude(follow_up=FollowUpState.VERIFIED).exists()


class Inspection(FSMModelMixin, models.Model):
    """A regular or unannounced inspection of one unit's handling of procedures.

    An unannounced inspection is invisible to everyone but inspectors and administrators
    until it starts (see inspections.selectors).
    """

    unit = models.ForeignKey(
        "procedures.Unit",
        verbose_name=_("inspected unit"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InspectionKind.choices)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        on_delete=models.PROTECT,
        related_name="led_inspections",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team members"),
        related_name="inspection_teams",
        blank=True,
        help_text=_("The other inspectors of the team, besides the lead."),
    )
    period_start = models.DateField(_("period under review: from"))
    period_end = models.DateField(_("period under review: to (inclusive)"))
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    scope = models.TextField(_("scope"), blank=True)
    state = FSMField(
        _("state"), choices=InspectionState.choices, default=InspectionState.PLANNED, protected=True
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)

    sample_size = models.PositiveIntegerField(_("sample size asked"), null=True, blank=True)
    sample_seed = models.BigIntegerField(_("sample seed"), null=True, blank=True)
    sample_overdue_share = models.FloatField(_("share of overdue dossiers"), null=True, blank=True)
    sampled_at = models.DateTimeField(_("sampled at"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-planned_start", "-id"]
        indexes = [models.Index(fields=["unit", "state"], name="inspection_unit_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")),
                name="inspection_period_ordered",
                violation_error_message=_("The period under review must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(planned_start__lte=F("planned_end")),
                name="inspection_plan_ordered",
                violation_error_message=_("The planned end must come after the planned start."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in InspectionState]),
                name="inspection_state_valid",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} — {self.unit}"

    def team_ids(self) -> set[int]:
        """The lead and members (reads prefetched members when there are)."""
        return {self.lead_id, *(member.pk for member in self.members.all())}

    @property
    def findings_are_evidence(self) -> bool:
        """Once concluded, findings are no longer edited, only followed up."""
        return self.state in (InspectionState.CONCLUDED, InspectionState.CLOSED)

    # --- the state machine -----------------------------------------------------------------

    @transition(
        field=state,
        source=InspectionState.PLANNED,
        target=InspectionState.IN_PROGRESS,
        permission=led_by_lead,
    )
    def start(self, *, actor, at):
        self.started_at = at
        return {}

    @transition(
        field=state,
        source=InspectionState.IN_PROGRESS,
        target=InspectionState.CONCLUDED,
        conditions=[checklist_checked],
        permission=led_by_lead,
    )
    def conclude(self, *, actor, at, conclusion):
        self.conclusion = required_text(conclusion, "conclusion")
        self.concluded_at = at
        return {"conclusion": self.conclusion}

    @transition(
        field=state,
        source=InspectionState.CONCLUDED,
        target=InspectionState.CLOSED,
        conditions=[findings_verified],
        permission=led_by_lead,
    )
    def close(self, *, actor, at):
        self.closed_at = at
        return {}


class ChecklistItemKind(models.TextChoices):
    RECEIPT_ISSUED = "receipt_issued", _("Receipt issued")
    COMPONENTS_DIGITIZED = "components_digitized", _("Every component digitized")
    ON_TIME_OR_APOLOGY = "on_time_or_apology", _("Finished on time, or apology issued")
    RESULT_DIGITIZED = "result_digitized", _("Result digitized")
    NO_EXTRA_PAPERS = "no_extra_papers", _("No papers demanded beyond the procedure")


class SampledDossier(models.Model):
    """A dossier drawn into an inspection's sample, in the order it was drawn."""

    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        on_delete=models.CASCADE,
        related_name="sample",
    )
    dossier = models.ForeignKey(
        "procedures.Dossier",
        verbose_name=_("dossier"),
        on_delete=models.PROTECT,
        related_name="inspection_samples",
    )
    position = models.PositiveIntegerField(_("draw order"))
    drawn_as_overdue = models.BooleanField(
        _("drawn from the overdue dossiers"),
        default=False,
        help_text=_("Drawn for the overdue share of the sample."),
    )

    class Meta:
        verbose_name = _("sampled dossier")
        verbose_name_plural = _("sampled dossiers")
        ordering = ["inspection", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "dossier"], name="sampled_dossier_once_per_inspection"
            )
        ]

    def __str__(self):
        return f"{self.inspection_id}: {self.dossier}"


class ChecklistItem(models.Model):
    """One check on a sampled dossier: the value read from the records, and the inspector's.

    A value of None means the check does not apply (e.g. the result of a procedure that issues
    none). `checked_at` is set once the inspector confirmed or corrected the item.
    """

    sampled = models.ForeignKey(
        SampledDossier,
        verbose_name=_("sampled dossier"),
        on_delete=models.CASCADE,
        related_name="checklist",
    )
    item = models.CharField(_("check"), max_length=32, choices=ChecklistItemKind.choices)
    prefilled = models.BooleanField(_("from the records"), null=True)
    confirmed = models.BooleanField(_("as confirmed by the inspector"), null=True)
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["sampled", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sampled", "item"], name="checklist_item_once")
        ]

    def __str__(self):
        return self.get_item_display()

    @property
    def is_checked(self) -> bool:
        return self.checked_at is not None

    @property
    def corrected(self) -> bool:
        return self.is_checked and self.confirmed != self.prefilled
