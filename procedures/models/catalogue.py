from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class CompetentLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")
    CENTRAL = "central", _("Central agency")


class OnlineLevel(models.TextChoices):
    PARTIAL = "partial", _("Partly online")
    FULL = "full", _("Fully online")


STEP_SHARE_FIELDS = (
    "share_intake",
    "share_appraisal",
    "share_approval",
    "share_signing",
    "share_delivery",
)


def _share_field(label):
    return models.PositiveSmallIntegerField(
        label,
        validators=[MaxValueValidator(100)],
        help_text=_("Percent of the processing time; the five shares add up to 100."),
    )


class Procedure(models.Model):
    """An entry of the administrative procedure catalogue (thủ tục hành chính)."""

    code = models.CharField(_("national procedure code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=500)
    field = models.CharField(_("field"), max_length=200)
    level = models.CharField(_("competent level"), max_length=16, choices=CompetentLevel.choices)
    processing_days = models.PositiveSmallIntegerField(
        _("processing time (working days)"), validators=[MaxValueValidator(365)]
    )
    share_intake = _share_field(_("intake share (%)"))
    share_appraisal = _share_field(_("appraisal share (%)"))
    share_approval = _share_field(_("approval share (%)"))
    share_signing = _share_field(_("signing share (%)"))
    share_delivery = _share_field(_("delivery share (%)"))
    fee = models.DecimalField(_("fee (VND)"), max_digits=14, decimal_places=0, default=0)
    issues_result = models.BooleanField(_("issues a result document"), default=True)
    online_level = models.CharField(
        _("online service level"), max_length=16, choices=OnlineLevel.choices
    )
    units = models.ManyToManyField(
        "procedures.Unit",
        verbose_name=_("handling units"),
        related_name="procedures",
        blank=True,
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    share_intake__lte=100,
                    share_appraisal__lte=100,
                    share_approval__lte=100,
                    share_signing__lte=100,
                    share_delivery__lte=100,
                )
                & Q(
                    share_intake=100
                    - F("share_appraisal")
                    - F("share_approval")
                    - F("share_signing")
                    - F("share_delivery")
                ),
                name="procedure_step_shares_sum_to_100",
                violation_error_message=_("The five step shares must add up to 100%."),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def step_shares(self) -> tuple[int, int, int, int, int]:
        return tuple(getattr(self, name) for name in STEP_SHARE_FIELDS)


class ProcedureComponent(models.Model):
    """A paper the citizen hands in for a procedure (thành phần hồ sơ)."""

    procedure = models.ForeignKey(
        Procedure,
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="components",
    )
    name = models.CharField(_("name"), max_length=500)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("procedure component")
        verbose_name_plural = _("procedure components")
        ordering = ["procedure", "position", "id"]

    def __str__(self):
        return self.name
