from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApologyLetter(models.Model):
    """Form 04 (Circular 01/2018/TT-VPCP): the apology for a late dossier and a new appointment.

    A unit issues it once per dossier; the new appointment is what the citizen is told, the
    statutory due date (and so the on-time statistics) does not change.
    """

    dossier = models.OneToOneField(
        "procedures.Dossier",
        verbose_name=_("dossier"),
        on_delete=models.PROTECT,
        related_name="apology",
    )
    reason = models.TextField(_("reason for the delay"))
    new_appointment_date = models.DateField(_("new appointment date"))
    missed_due_at = models.DateTimeField(
        _("due date missed"), help_text=_("The statutory due date when the letter was issued.")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("apology letter (form 04)")
        verbose_name_plural = _("apology letters (form 04)")

    def __str__(self):
        return f"{self.dossier_id}: {self.new_appointment_date:%d/%m/%Y}"
