from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Block(models.TextChoices):
    DEPARTMENT = "department", _("Departments, boards and sectors")
    LOCALITY = "locality", _("District-level localities")
    COMMUNE = "commune", _("Communes, wards and towns")
    CENTRAL = "central", _("Central agencies in the province")


unit_code_validator = RegexValidator(
    r"^[0-9A-Za-z][0-9A-Za-z.]*$",
    _("A unit code holds letters, digits and dots only, e.g. 000.20.31.H40."),
)


class Unit(models.Model):
    """An agency, locality or commune that receives and handles dossiers.

    The hierarchy is data: the 2025 reform removed the district tier, so parents and blocks change
    without a release.
    """

    code = models.CharField(
        _("unit code"), max_length=32, unique=True, validators=[unit_code_validator]
    )
    name = models.CharField(_("name"), max_length=255)
    block = models.CharField(_("block"), max_length=16, choices=Block.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    active = models.BooleanField(_("active"), default=True)
    # What the citizens' look-up page shows under "how to contact the unit".
    contact_address = models.CharField(_("contact address"), max_length=500, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=64, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        ancestor = self.parent
        seen = set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A unit cannot be placed under itself.")})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
