"""The API's body parsers: the standard ones, with every value cleaned by `api.input`.

The body's size is checked from its Content-Length before any parser reads it
(`api.middleware.RequestEdgeMiddleware`).
"""

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from api.input import NUL_MESSAGE, clean_data, has_nul, max_depth, normalize_text


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:  # nested far deeper than the limit
            raise ParseError(
                _("The JSON is nested too deeply (at most %(limit)d levels).")
                % {"limit": max_depth()}
            ) from error
        return clean_data(data)


def _clean_query_dict(data: QueryDict) -> QueryDict:
    cleaned = QueryDict(mutable=True)
    errors = {}
    for key, values in data.lists():
        if has_nul(key) or any(has_nul(value) for value in values if isinstance(value, str)):
            errors[key] = [NUL_MESSAGE]
            continue
        cleaned.setlist(
            normalize_text(key),
            [normalize_text(value) if isinstance(value, str) else value for value in values],
        )
    if errors:
        raise ValidationError(errors)
    cleaned._mutable = False
    return cleaned


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _clean_query_dict(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        for key, upload in parsed.files.items():
            if has_nul(key) or has_nul(upload.name or ""):
                raise ValidationError({key: [NUL_MESSAGE]})
        return parsers.DataAndFiles(_clean_query_dict(parsed.data), parsed.files)
