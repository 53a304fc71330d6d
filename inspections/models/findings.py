"""Findings: breaches an inspection found, naming the staff member responsible."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from procedures import authorization
from procedures.models import Role
from procedures.models.dossiers import required_text


class BreachKind(models.TextChoices):
    LATE_WITHOUT_APOLOGY = "late_without_apology", _("Late without apology")
    EXTRA_PAPERS = "extra_papers", _("Extra papers demanded beyond the regulation")
    COMPONENTS_NOT_DIGITIZED = "components_not_digitized", _("Components not digitized")
    NO_RECEIPT = "no_receipt", _("No receipt issued")
    WRONG_PROCEDURE = "wrong_procedure", _("Wrong procedure")
    DISCIPLINE = "discipline", _("Discipline or conduct")
    HARASSMENT_OR_BRIBERY = "harassment_or_bribery", _("Harassment or bribery")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MODERATE = "moderate", _("Moderate")
    SERIOUS = "serious", _("Serious")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("Open")
    REMEDIED = "remedied", _("Remedied, awaiting verification")
    VERIFIED = "verified", _("Verified as remedied")
    REOPENED = "reopened", _("Reopened")


def answered_by_unit(finding, user) -> bool:
    """A transition permission: the staff member named, a leader over the unit, or an admin."""
    return authorization.may_act(user, among={finding.staff_id}) or authorization.may_act(
        user, roles={Role.LEADER}, unit=finding.inspection.unit_id
    )


answered_by_unit.message = _(
    "The remedy is reported by the staff member named or a leader of the unit."
)


def checked_by_team(finding, user) -> bool:
    """A transition permission: a member of the inspection team, or an administrator."""
    return authorization.may_act(user, roles={Role.INSPECTOR}, among=finding.inspection.team_ids())


checked_by_team.message = _("Only the inspection team verifies remedies.")


class Finding(FSMModelMixin, models.Model):
    """A breach found by an inspection, naming the staff member responsible.

    Findings are evidence: once the inspection is concluded they are not edited or deleted,
    only followed up (open → remedied → verified, or reopened).
    """

    inspection = models.ForeignKey(
        "inspections.Inspection",
        verbose_name=_("inspection"),
        on_delete=models.PROTECT,
        related_name="findings",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member responsible"),
        on_delete=models.PROTECT,
        related_name="inspection_findings",
    )
    dossiers = models.ManyToManyField(
        "procedures.Dossier",
        verbose_name=_("dossiers concerned"),
        related_name="inspection_findings",
        blank=True,
    )
    kind = models.CharField(_("kind of breach"), max_length=32, choices=BreachKind.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    description = models.TextField(_("description"))
    evidence = models.ManyToManyField(
        "digitization.DigitizedFile",
        verbose_name=_("evidence files"),
        related_name="+",
        blank=True,
    )
    recommended_action = models.TextField(_("recommended action"), blank=True)
    remedy_deadline = models.DateField(_("remedy deadline"), null=True, blank=True)

    follow_up = FSMField(
        _("follow-up"), choices=FollowUpState.choices, default=FollowUpState.OPEN, protected=True
    )
    remedy_note = models.TextField(_("remedy note"), blank=True)
    remedied_at = models.DateTimeField(_("remedied at"), null=True, blank=True)
    remedied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("remedied by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["staff", "created_at"], name="finding_staff_created"),
            models.Index(fields=["inspection", "follow_up"], name="finding_inspection_follow_up"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up__in=[s.value for s in FollowUpState]),
                name="finding_follow_up_valid",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} — {self.staff}"

    # --- the follow-up state machine -------------------------------------------------------

    @transition(
        field=follow_up,
        source=[FollowUpState.OPEN, FollowUpState.REOPENED],
        target=FollowUpState.REMEDIED,
        permission=answered_by_unit,
    )
    def remedy(self, *, actor, at, note):
        self.remedy_note = required_text(note, "note")
        self.remedied_at = at
        self.remedied_by = actor
        return {}

    @transition(
        field=follow_up,
        source=FollowUpState.REMEDIED,
        target=FollowUpState.VERIFIED,
        permission=checked_by_team,
    )
    def verify(self, *, actor, at, note=""):
        self.verified_at = at
        self.verified_by = actor
        return {}

    @transition(
        field=follow_up,
        source=FollowUpState.REMEDIED,
        target=FollowUpState.REOPENED,
        permission=checked_by_team,
    )
    def reopen(self, *, actor, at, note):
        required_text(note, "note")
        return {}
