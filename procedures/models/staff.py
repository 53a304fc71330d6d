from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("One-stop clerk")
    SPECIALIST = "specialist", _("Appraisal specialist")
    APPROVER = "approver", _("Approver")
    INSPECTOR = "inspector", _("Inspector")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


PROCESSING_ROLES = frozenset({Role.CLERK, Role.SPECIALIST, Role.APPROVER})
OVERSIGHT_ROLES = frozenset({Role.INSPECTOR, Role.LEADER})


class User(AbstractUser):
    """A member of staff. Every user but an administrator belongs to a unit."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    unit = models.ForeignKey(
        "procedures.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    covers_child_units = models.BooleanField(
        _("works for child units too"),
        default=False,
        help_text=_(
            "Clerks, specialists and approvers handle dossiers of their own unit only, unless this "
            "is set. Inspectors and leaders always oversee their unit and all units under it."
        ),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(role__in=["admin", ""]) | Q(is_superuser=True),
                name="user_unit_required_for_role",
                violation_error_message=_("Every role but administrator needs a unit."),
            ),
        ]

    @property
    def effective_role(self) -> str:
        """The role the rules go by: a superuser counts as an administrator."""
        if self.is_superuser:
            return Role.ADMIN
        return self.role

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.effective_role == Role.ADMIN
