"""One error shape for the whole API: {"error": {"code", "message", "fields"}}."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.errors import ApplicationError

logger = logging.getLogger(__name__)

MESSAGES = {
    "invalid": _("The data sent is not valid."),
    "parse_error": _("The request body could not be read."),
    "not_found": _("Not found."),
    "unavailable": _("The service is briefly unavailable; please retry shortly."),
    "server_error": _("An unexpected error occurred; it has been logged."),
}
# Seconds a client is asked to wait (Retry-After) while the database is unreachable.
RETRY_AFTER_SECONDS = 5


def error_body(code: str, message, fields=None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": _plain(fields or {})}}


def _plain(detail):
    """ErrorDetail and lazy strings as plain strings, keeping the nesting."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list | tuple):
        return [_plain(item) for item in detail]
    return str(detail)


def is_database_unavailable(exc) -> bool:
    """The database could not be reached or dropped the connection (also a deadlock or a
    statement timeout: transient either way, worth a retry)."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable(response_class=Response):
    response = response_class(
        error_body("unavailable", MESSAGES["unavailable"]),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %s", exc)
        set_rollback()
        return database_unavailable()
    if isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException(_("The request is too large."))
        exc.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        exc.default_code = "too_large"
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", MESSAGES["invalid"], fields)
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        detail = exc.detail if isinstance(exc.detail, str) else MESSAGES.get(code, exc.detail)
        response.data = error_body(code, detail)
    return response


def json_not_found(request, exception=None):
    """404 for paths no route matches: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", MESSAGES["not_found"]), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_server_error(request):
    """500 (or 503 while the database is unreachable): JSON under /api/, Django's page elsewhere."""
    import sys

    from django.views.defaults import server_error

    error = sys.exc_info()[1]
    if is_database_unavailable(error):
        logger.warning("database unavailable: %s", error)
        if request.path.startswith("/api/"):
            return database_unavailable(JsonResponse)
        response = server_error(request)
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", MESSAGES["server_error"]), status=500)
    return server_error(request)
