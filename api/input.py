"""Input cleaned once, at the edge: text in NFC, no NUL byte, bounded nesting.

Every request body (JSON, form, multipart) goes through `clean_data` in the API's parsers, and
every query parameter and URL part through `refuse_nul` / `normalize_text` in
`api.middleware.RequestEdgeMiddleware`, so that views, serializers and the database only ever
see text they can store and compare: PostgreSQL refuses NUL in text, and a name typed in
decomposed Unicode (NFD, as some keyboards and macOS send it) would not match the same name
stored composed (NFC).
"""

import unicodedata
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError, ValidationError

NUL_MESSAGE = _("Null characters are not allowed.")


def normalize_text(value: str) -> str:
    """Vietnamese text in one Unicode form (NFC), so that equal names compare equal."""
    if value.isascii():
        return value
    return unicodedata.normalize("NFC", value)


def has_nul(value: str) -> bool:
    return "\x00" in value


def max_depth() -> int:
    return settings.API_JSON_MAX_DEPTH


def clean_data(data):
    """`data` with every string (keys too) in NFC; refused when it holds a NUL or nests deeper
    than `API_JSON_MAX_DEPTH` (400 naming the field)."""
    errors: dict = {}
    limit = max_depth()
    cleaned = _clean(data, 1, limit, errors, path=())
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean(value, depth: int, limit: int, errors: dict, path: tuple):
    if isinstance(value, str):
        if has_nul(value):
            _record(errors, path, NUL_MESSAGE)
            return value
        return normalize_text(value)
    if isinstance(value, dict | list):
        if depth > limit:
            raise ParseError(
                _("The JSON is nested too deeply (at most %(limit)d levels).") % {"limit": limit}
            )
        if isinstance(value, list):
            return [
                _clean(item, depth + 1, limit, errors, (*path, str(index)))
                for index, item in enumerate(value)
            ]
        cleaned = {}
        for key, item in value.items():
            if has_nul(key):
                _record(errors, (*path, key), NUL_MESSAGE)
                continue
            key = normalize_text(key)
            cleaned[key] = _clean(item, depth + 1, limit, errors, (*path, key))
        return cleaned
    return value


def _record(errors: dict, path: tuple, message) -> None:
    """Nest the message under the field's path, as DRF nests serializer errors."""
    if not path:
        path = ("non_field_errors",)
    node = errors
    for part in path[:-1]:
        existing = node.get(part)
        if not isinstance(existing, dict):
            existing = node[part] = {}
        node = existing
    node[path[-1]] = [message]


MAX_OFFSET = timedelta(hours=15, minutes=59)  # PostgreSQL's bound on a time-zone offset


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date-time with its offset, as an aware UTC datetime (ValueError otherwise)."""
    value = datetime.fromisoformat(text)
    if value.utcoffset() is None:
        raise ValueError("a time-zone offset is required")
    return bounded_instant(value)


def bounded_instant(value: datetime) -> datetime:
    """An aware datetime as UTC; ValueError for an offset beyond ±15:59 (PostgreSQL refuses it)
    or an instant outside the years 1-9999 once in UTC."""
    offset = value.utcoffset()
    if offset is None or abs(offset) > MAX_OFFSET:
        raise ValueError("a time-zone offset between -15:59 and +15:59 is required")
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("outside the supported years") from error
