"""A password change revokes the user's API tokens (sessions end by Django's own rule)."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.services import revoke_tokens


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def password_changed(sender, instance, created, **kwargs):
    # set_password() keeps the raw password on the instance until save() has run.
    if not created and getattr(instance, "_password", None) is not None:
        revoke_tokens(instance)
