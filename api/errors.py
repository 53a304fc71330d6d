"""One error shape for the whole API: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from digitization.services import FileTooLarge
from procedures.errors import (
    ActionForbidden,
    ConcurrentChange,
    ConditionNotMet,
    DossierError,
    InvalidInput,
    TransitionNotAllowed,
)

DOMAIN_STATUS = [
    (FileTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (InvalidInput, status.HTTP_400_BAD_REQUEST),
    (ActionForbidden, status.HTTP_403_FORBIDDEN),
    (TransitionNotAllowed, status.HTTP_409_CONFLICT),
    (ConditionNotMet, status.HTTP_409_CONFLICT),
    (ConcurrentChange, status.HTTP_409_CONFLICT),
]

MESSAGES = {
    "invalid": _("The data sent is not valid."),
    "parse_error": _("The request body could not be read."),
    "not_found": _("Not found."),
}


def error_body(code: str, message, fields=None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": _plain(fields or {})}}


def _plain(detail):
    """ErrorDetail and lazy strings as plain strings, keeping the nesting."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list | tuple):
        return [_plain(item) for item in detail]
    return str(detail)


def status_of(error: DossierError) -> int:
    """The HTTP status of a domain error, for the API and the desk alike."""
    for kind, code in DOMAIN_STATUS:
        if isinstance(error, kind):
            return code
    return status.HTTP_400_BAD_REQUEST


def exception_handler(exc, context):
    if isinstance(exc, DossierError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=status_of(exc))
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
