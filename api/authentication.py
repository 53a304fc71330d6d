"""Token authentication for the API: tokens expire, and are looked up in the database each time.

One indexed query per request (the token with its user) and no per-process copy: a revoked
token, a deactivated user or a changed role is refused by every process at once, with or
without a shared cache (an earlier per-process copy kept revoked tokens alive in the other
workers until they restarted).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def token_lifetime() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)


def token_expired(token) -> bool:
    return token.created <= timezone.now() - token_lifetime()


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token …`; a token older than API_TOKEN_LIFETIME_HOURS is refused."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                _("The token has expired; ask for a new one."), code="token_expired"
            )
        return user, token
