"""Signing in with limits, API tokens, and unlocking.

Both doors (`POST /api/v1/auth/token/` and `/admin/login/`) go through `sign_in`:
- per account: after LOGIN_MAX_FAILURES_PER_ACCOUNT wrong passwords within LOGIN_LOCK_MINUTES the
  account is locked for LOGIN_LOCK_MINUTES, even for the right password (database row, so it
  holds in every process and through a cache outage);
- per client address: after LOGIN_MAX_FAILURES_PER_ADDRESS failures within LOGIN_LOCK_MINUTES,
  whatever the usernames, the address is refused for the rest of that window (cache counter;
  during a cache outage each process counts on its own).
A successful sign-in clears the account's failures. An administrator lifts a lock with the admin
(*Sign-in locks*) or `python manage.py unlock_login USERNAME` / `--address IP`.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token
from rest_framework.throttling import BaseThrottle

from accounts.models import LoginLock
from api.authentication import token_lifetime

logger = logging.getLogger(__name__)


@dataclass
class LoginRefused(Exception):
    """Refused before the password is checked; `retry_after` in seconds."""

    message: str
    retry_after: int


def lock_window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCK_MINUTES)


def client_address(request) -> str:
    """The client's address as the throttles read it (X-Forwarded-For only NUM_PROXIES deep)."""
    return BaseThrottle().get_ident(request)


def _address_key(address: str) -> str:
    return f"login-failures:{address}"


def sign_in(request, *, username: str, password: str):
    """The user for these credentials, or None; raises LoginRefused while locked out."""
    address = client_address(request)
    _refuse_locked_address(address)
    user_id = (
        get_user_model()
        ._default_manager.filter(**{get_user_model().USERNAME_FIELD: username})
        .values_list("pk", flat=True)
        .first()
    )
    if user_id is not None:
        _refuse_locked_account(user_id)
    user = authenticate(request, username=username, password=password)
    if user is None:
        _count_failure(address, user_id)
    else:
        LoginLock.objects.filter(user=user).delete()
    return user


def _refuse_locked_address(address: str) -> None:
    if (cache.get(_address_key(address)) or 0) >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS:
        raise LoginRefused(
            _(
                "Too many failed sign-ins from this address. Try again in %(minutes)s minutes "
                "or ask an administrator to unlock it."
            )
            % {"minutes": settings.LOGIN_LOCK_MINUTES},
            retry_after=int(lock_window().total_seconds()),
        )


def _refuse_locked_account(user_id) -> None:
    now = timezone.now()
    locked_until = (
        LoginLock.objects.filter(user_id=user_id, locked_until__gt=now)
        .values_list("locked_until", flat=True)
        .first()
    )
    if locked_until is not None:
        raise LoginRefused(
            _(
                "Too many failed sign-ins: this account is locked until %(time)s. Try again "
                "later or ask an administrator to unlock it."
            )
            % {"time": time_format(timezone.localtime(locked_until), "H:i")},
            retry_after=max(1, int((locked_until - now).total_seconds())),
        )


def _count_failure(address: str, user_id) -> None:
    key = _address_key(address)
    window = int(lock_window().total_seconds())
    cache.add(key, 0, window)
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, window)
    if user_id is None:
        return
    now = timezone.now()
    with transaction.atomic():
        lock, _created = LoginLock.objects.select_for_update().get_or_create(user_id=user_id)
        if lock.last_failure_at is None or lock.last_failure_at <= now - lock_window():
            lock.failures = 0  # earlier failures are too old to count
        lock.failures += 1
        lock.last_failure_at = now
        if lock.failures >= settings.LOGIN_MAX_FAILURES_PER_ACCOUNT:
            lock.locked_until = now + lock_window()
            logger.warning("Sign-in locked for user %s after %s failures", user_id, lock.failures)
        lock.save()


def unlock(*, user=None, address: str | None = None) -> None:
    """Lift the lock of an account and/or a client address (administrators)."""
    if user is not None:
        LoginLock.objects.filter(user=user).delete()
    if address:
        cache.delete(_address_key(address))


# --- API tokens ----------------------------------------------------------------------------


def issue_token(user) -> Token:
    """The user's token, a new one if the current one has expired (one token per user)."""
    Token.objects.filter(user=user, created__lte=timezone.now() - token_lifetime()).delete()
    token, _created = Token.objects.get_or_create(user=user)
    return token


def revoke_tokens(user) -> int:
    """Delete the user's token(s): refused by every process from the next request on."""
    deleted, _detail = Token.objects.filter(user=user).delete()
    return deleted
