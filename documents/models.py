"""What the documents app keeps: issued forms (their bytes), certificates, signed results."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FormKind(models.TextChoices):
    RECEIPT = "01", _("Form 01: receipt and appointment slip")
    SUPPLEMENT = "02", _("Form 02: supplement request")
    REFUSAL = "03", _("Form 03: refusal")
    APOLOGY = "04", _("Form 04: apology and new appointment")
    CONTROL = "05", _("Form 05: control slip of the handling")
    LOG_BOOK = "06", _("Form 06: the unit's log book")


# The forms handed to the citizen: issued once per event, recorded, and served again byte for byte.
ISSUED_KINDS = (FormKind.RECEIPT, FormKind.SUPPLEMENT, FormKind.REFUSAL, FormKind.APOLOGY)


class IssuedDocument(models.Model):
    """A form issued for a dossier: its exact bytes, their SHA-256, when and by whom.

    `event` is the transition-log entry (or the apology) the form answers, so a second
    supplement request gets its own form 02 while downloading again returns the same bytes.
    """

    dossier = models.ForeignKey(
        "procedures.Dossier",
        verbose_name=_("dossier"),
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    kind = models.CharField(_("form"), max_length=2, choices=FormKind.choices)
    event = models.BigIntegerField(_("event"))
    form_set = models.CharField(_("form set"), max_length=32)
    content = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("issued form")
        verbose_name_plural = _("issued forms")
        ordering = ["dossier", "issued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "kind", "event"], name="issued_document_once_per_event"
            )
        ]

    def __str__(self):
        return f"{self.dossier_id} {self.kind} {self.sha256[:12]}"


class SigningCertificate(models.Model):
    """A certificate an approver signs results with (public part only; keys never enter the DB).

    An upload signed outside the system is accepted only if its signer's certificate is one of
    the approver's own.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="signing_certificates",
    )
    subject = models.CharField(_("subject"), max_length=500)
    issuer = models.CharField(_("issuer"), max_length=500)
    serial_number = models.CharField(_("serial number"), max_length=64)
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    pem = models.TextField(_("certificate (PEM)"))
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signing certificate")
        verbose_name_plural = _("signing certificates")
        ordering = ["user", "-not_after"]

    def __str__(self):
        return f"{self.subject} ({self.serial_number})"


class SigningMethod(models.TextChoices):
    SERVER = "server", _("Signed by the system with the approver's credential")
    UPLOAD = "upload", _("Signed outside the system and uploaded")


class SignedResult(models.Model):
    """The digitally signed result of a dossier; the unsigned original stays its result file."""

    dossier = models.OneToOneField(
        "procedures.Dossier",
        verbose_name=_("dossier"),
        on_delete=models.PROTECT,
        related_name="signed_result",
    )
    file = models.ForeignKey(
        "digitization.DigitizedFile",
        verbose_name=_("signed file"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    original = models.ForeignKey(
        "digitization.DigitizedFile",
        verbose_name=_("unsigned original"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sha256 = models.CharField(_("SHA-256 of the signed file"), max_length=64, db_index=True)
    method = models.CharField(_("method"), max_length=8, choices=SigningMethod.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signer_name = models.CharField(_("signer's name (certificate)"), max_length=255)
    signer_unit = models.CharField(_("signer's unit"), max_length=255)
    certificate = models.ForeignKey(
        SigningCertificate,
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("signed result")
        verbose_name_plural = _("signed results")

    def __str__(self):
        return f"{self.dossier_id}: {self.signer_name}"
