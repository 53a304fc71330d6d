from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginLock(models.Model):
    """Failed sign-ins of one account; it is locked while `locked_until` is in the future.

    Kept in the database, not the cache: a lock holds in every process and through a cache
    outage, and an administrator lifts it by deleting the row (admin or `unlock_login`).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="login_lock",
    )
    failures = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_failure_at = models.DateTimeField(_("last failed attempt"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")

    def __str__(self):
        return str(self.user)
