"""Token authentication for the API: tokens expire, and are looked up in the database each time.

One indexed query per request (the token with its user, a fixed statement: core.rows) and no
per-process copy: a revoked
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

from core.reads import read_connection
from core.rows import Joined, prepared_cursor, select_list


def token_lifetime() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)


def token_expired(token) -> bool:
    return token.created <= timezone.now() - token_lifetime()


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token …`; a token older than API_TOKEN_LIFETIME_HOURS is refused."""

    def authenticate_credentials(self, key):
        token = token_with_user(key)
        if token is None or not token.user.is_active:
            token = super().authenticate_credentials(key)[1]  # raises DRF's own refusal
        user = token.user
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                _("The token has expired; ask for a new one."), code="token_expired"
            )
        return user, token


def token_with_user(key: str):
    """The token `key` with its user loaded (as `select_related("user")` gives), or None: one
    fixed statement (core.rows), since every API request asks it."""
    from rest_framework.authtoken.models import Token

    connection = read_connection(Token)  # the router's choice, as the ORM's read would be
    read = _token_read(connection)
    with prepared_cursor(connection) as cursor:
        cursor.execute(read[0], [key])
        row = cursor.fetchone()
    if row is None:
        return None
    token, user = read[1].build(row, connection)
    token._state.fields_cache["user"] = user
    return token


_token_reads = {}


def _token_read(connection):
    if connection.vendor not in _token_reads:
        from django.contrib.auth import get_user_model
        from rest_framework.authtoken.models import Token

        User = get_user_model()
        quote = connection.ops.quote_name
        models = [(Token, "t"), (User, "u")]
        sql = (
            f"SELECT {select_list(models, quote)} FROM {quote(Token._meta.db_table)} t "
            f"JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = "
            f"t.{quote(Token._meta.get_field('user').column)} "
            f"WHERE t.{quote(Token._meta.pk.column)} = %s"
        )
        _token_reads[connection.vendor] = (sql, Joined(models))
    return _token_reads[connection.vendor]
