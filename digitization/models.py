from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _upload_to(instance, filename):
    # Content-addressed: the path says nothing about the citizen, and the same scan reuses a name.
    now = timezone.now()
    return f"digitized/{now:%Y/%m}/{instance.sha256}"


class DigitizedFile(models.Model):
    """A scanned paper or a signed result document, kept through Django's storage."""

    file = models.FileField(_("file"), upload_to=_upload_to, max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("digitized file")
        verbose_name_plural = _("digitized files")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.original_name or self.sha256
