"""The request's edge: size, NUL bytes and Unicode form checked before anything reads the request.

- A body larger than the limit is refused (413) from its Content-Length, before a byte of it is
  read: `UPLOAD_MAX_BYTES` plus room for the form's other fields for multipart uploads,
  `API_BODY_MAX_BYTES` for any other body (JSON, forms).
- A NUL byte in a query parameter, a header or the URL (`/api/v1/public/dossiers/%00/`) is
  refused (400 naming the parameter, `path` for the URL);
  query parameters are normalized to NFC. Bodies are cleaned by the API's parsers (`api.parsers`).
- The database being unreachable answers a JSON 503 with Retry-After on API paths, whatever view
  was running (DRF views get the same answer from `api.errors.exception_handler`).
"""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _

from api.errors import MESSAGES, database_unavailable, error_body, is_database_unavailable
from api.input import NUL_MESSAGE, has_nul, normalize_text

logger = logging.getLogger(__name__)
UPLOAD_FORM_ROOM = 1024 * 1024  # the multipart framing and the form's text fields


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def body_limit(request) -> int:
    if request.content_type == "multipart/form-data":
        return settings.UPLOAD_MAX_BYTES + UPLOAD_FORM_ROOM
    return settings.API_BODY_MAX_BYTES


class RequestEdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self.refuse_body(request) or self.refuse_nul(request)
        if refused is not None:
            return refused
        if request.META.get("QUERY_STRING"):
            request.GET = self.normalized(request.GET)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_api(request) and is_database_unavailable(exception):
            logger.warning("database unavailable: %s", exception)
            return database_unavailable(JsonResponse)
        return None

    # --- checks --------------------------------------------------------------------------------

    def refuse_body(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            return self.invalid(request, {"Content-Length": [_("Not a valid length.")]})
        limit = body_limit(request)
        if length <= limit:
            return None
        message = _("The request is too large (at most %(limit)d bytes).") % {"limit": limit}
        if not is_api(request):
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return JsonResponse(error_body("too_large", message), status=413)

    def refuse_nul(self, request):
        errors = {}
        for key, values in QueryDict(request.META.get("QUERY_STRING", "")).lists():
            if has_nul(key) or any(has_nul(value) for value in values):
                errors[key] = [NUL_MESSAGE]
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and has_nul(value):
                errors[key[5:].replace("_", "-").title()] = [NUL_MESSAGE]
        if has_nul(request.path_info):
            errors["path"] = [NUL_MESSAGE]
        return self.invalid(request, errors) if errors else None

    @staticmethod
    def normalized(query: QueryDict) -> QueryDict:
        cleaned = QueryDict(mutable=True)
        for key, values in query.lists():
            cleaned.setlist(normalize_text(key), [normalize_text(value) for value in values])
        cleaned._mutable = False
        return cleaned

    @staticmethod
    def invalid(request, fields: dict):
        if not is_api(request):
            lines = [f"{name}: {messages[0]}" for name, messages in fields.items()]
            return HttpResponse(
                "\n".join(lines), status=400, content_type="text/plain; charset=utf-8"
            )
        return JsonResponse(error_body("invalid", MESSAGES["invalid"], fields), status=400)
