import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    RECEIPT = "receipt", _("Dossier received")
    SUPPLEMENT_REQUEST = "supplement_request", _("Supplement requested")
    RESULT_READY = "result_ready", _("Result ready")
    APOLOGY = "apology", _("Apology and new appointment")
    OVERDUE = "overdue", _("Dossier overdue")
    DUE_SOON = "due_soon", _("Dossier due soon")


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("Email")


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notice(models.Model):
    """One message in the outbox, written in the transaction of the event it reports.

    A worker sends it (procedures.services.notices); while the broker or the mail server is
    down it stays pending and the periodic job retries it. The id is chosen before the INSERT
    so that the row can be written in the same statement as a transition and queued after it.
    Subject and body are filled in when the notice is sent, and kept.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=NoticeKind.choices)
    channel = models.CharField(
        _("channel"), max_length=16, choices=NoticeChannel.choices, default=NoticeChannel.EMAIL
    )
    recipient = models.EmailField(_("recipient"))
    dossier = models.ForeignKey(
        "procedures.Dossier",
        verbose_name=_("dossier"),
        on_delete=models.CASCADE,
        related_name="notices",
        db_index=False,  # served by notice_dossier_kind
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [
            models.Index(fields=["dossier", "kind", "created_at"], name="notice_dossier_kind"),
            models.Index(
                fields=["next_attempt_at"],
                name="notice_pending",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self):
        # No recipient: page titles in the admin show it to people who may not see citizens' emails.
        return f"{self.get_kind_display()} ({self.status})"
