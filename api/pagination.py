"""Keyset ("cursor") pagination: no COUNT(*), stable under inserts, served by indexes.

A view lists the orderings it offers in `orderings` (e.g. "-received_at", "due_at") and its
default in `default_ordering`. Rows are ordered by that field then by id; NULLs come last.
A view may define `page_rows(ids)`, returning its rows whose pk is in `ids`: the page's ids are
then found first, in a subquery of the same statement, and only those rows read. Where an index
covers the ordering and the filters, finding the ids never touches the table (an index-only
scan), which matters when many rows are passed over to fill a page. A view with `page_rows` may
also define `pagination_parts(queryset)`, returning querysets whose rows together are the
queryset's (or None): each part's page is then found on its own (each from its own index) and
the page is the first rows of their union (where the database allows a limit in each part of a
UNION: PostgreSQL; elsewhere the queryset is paged whole).
The cursor is an opaque token holding the ordering, the boundary row's (value, id) and the
direction.
"""

import base64
import binascii
import json
from datetime import date, datetime

from django.db import connections, models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.input import parse_instant


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self._page_size(request)
        orderings = getattr(view, "orderings", ("-id",))
        self.ordering = request.query_params.get(
            self.ordering_query_param, getattr(view, "default_ordering", orderings[0])
        )
        if self.ordering not in orderings:
            raise ValidationError(
                {
                    self.ordering_query_param: [
                        _("Choose one of: %(choices)s.") % {"choices": ", ".join(orderings)}
                    ]
                }
            )
        self.field = self.ordering.lstrip("-")
        self.descending = self.ordering.startswith("-")
        self.model_field = queryset.model._meta.get_field(self.field)
        self.nullable = self.model_field.null
        cursor = self._decode(request.query_params.get(self.cursor_query_param))
        backwards = cursor is not None and cursor["d"] == "p"
        if cursor is not None:
            queryset = queryset.filter(self._after(cursor["v"], cursor["i"], backwards))
        order = self._order(backwards)
        parts = view.pagination_parts(queryset) if hasattr(view, "pagination_parts") else None
        if parts and connections[queryset.db].features.supports_slicing_ordering_in_compound:
            first, *others = [
                part.order_by(*order).values("pk")[: self.page_size + 1] for part in parts
            ]
            ids = first.union(*others, all=True) if others else first
            page = view.page_rows(ids).order_by(*order)[: self.page_size + 1]
        else:
            page = queryset.order_by(*order)[: self.page_size + 1]
            if hasattr(view, "page_rows"):
                page = view.page_rows(page.values("pk")).order_by(*order)
        rows = list(page)
        has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
            self.has_next, self.has_previous = True, has_more
        else:
            self.has_next, self.has_previous = has_more, cursor is not None
        self.rows = rows
        return rows

    def get_paginated_response(self, data):
        return Response({"next": self._link("n"), "previous": self._link("p"), "results": data})

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        orderings = getattr(view, "orderings", ("-id",))
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque cursor from a previous page's next/previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Rows per page (1-{self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.ordering_query_param,
                "in": "query",
                "required": False,
                "description": "Sort order; ties are broken by id.",
                "schema": {"type": "string", "enum": list(orderings)},
            },
        ]

    # --- internals -------------------------------------------------------------------------

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return api_settings.PAGE_SIZE or 50
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def _order(self, backwards: bool):
        descending = self.descending != backwards
        nulls = {"nulls_last": True} if not backwards else {"nulls_first": True}
        if not self.nullable:
            nulls = {}
        field = F(self.field).desc(**nulls) if descending else F(self.field).asc(**nulls)
        return [field, "-id" if descending else "id"]

    def _after(self, value, pk, backwards: bool) -> Q:
        """Rows after (value, pk) in the order read in the given direction; NULLs come last."""
        descending = self.descending != backwards
        beyond, beyond_or_equal = ("lt", "lte") if descending else ("gt", "gte")
        id_beyond = Q(**{f"id__{beyond}": pk})
        if value is None:
            if backwards:  # every non-NULL row comes before the NULLs
                return Q(**{f"{self.field}__isnull": False}) | (
                    Q(**{f"{self.field}__isnull": True}) & id_beyond
                )
            return Q(**{f"{self.field}__isnull": True}) & id_beyond
        rest = Q(**{f"{self.field}__{beyond_or_equal}": value}) & (
            Q(**{f"{self.field}__{beyond}": value}) | id_beyond
        )
        if self.nullable and not backwards:
            rest |= Q(**{f"{self.field}__isnull": True})
        return rest

    def _link(self, direction: str) -> str | None:
        if not self.rows or not (self.has_next if direction == "n" else self.has_previous):
            return None
        row = self.rows[-1] if direction == "n" else self.rows[0]
        value = getattr(row, self.field)
        token = json.dumps(
            {
                "o": self.ordering,
                "v": value.isoformat() if isinstance(value, datetime | date) else value,
                "i": row.pk,
                "d": direction,
            },
            separators=(",", ":"),
        )
        encoded = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
        url = self.request.build_absolute_uri()
        return replace_query_param(
            remove_query_param(url, self.cursor_query_param), self.cursor_query_param, encoded
        )

    def _decode(self, raw: str | None):
        """The cursor's parts, each of the type its field needs; 400 for anything else (a
        cursor is opaque, but a client can still send any bytes)."""
        if not raw:
            return None
        invalid = ValidationError({self.cursor_query_param: [_("Invalid cursor.")]})
        try:
            padded = raw + "=" * (-len(raw) % 4)
            cursor = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as error:
            raise invalid from error
        if (
            not isinstance(cursor, dict)
            or cursor.get("o") != self.ordering
            or cursor.get("d") not in ("n", "p")
            or "v" not in cursor
        ):
            raise invalid
        pk = cursor.get("i")
        if not _is_bigint(pk):
            raise invalid
        try:
            value = self._value(cursor["v"])
        except (ValueError, TypeError) as error:
            raise invalid from error
        return {"v": value, "i": pk, "d": cursor["d"]}

    def _value(self, raw):
        """The boundary row's value of the ordering field, as that field's Python type."""
        if raw is None:
            if not self.nullable:
                raise ValueError("no NULL in this column")
            return None
        if isinstance(self.model_field, models.DateTimeField):
            if not isinstance(raw, str):
                raise TypeError("a date-time is a string")
            return parse_instant(raw)
        if isinstance(self.model_field, models.DateField):
            if not isinstance(raw, str):
                raise TypeError("a date is a string")
            return date.fromisoformat(raw)
        if isinstance(self.model_field, models.IntegerField | models.AutoField):
            if not _is_bigint(raw):
                raise TypeError("an integer")
            return raw
        if isinstance(self.model_field, models.CharField | models.TextField):
            if not isinstance(raw, str) or "\x00" in raw:
                raise TypeError("a string")
            return raw
        raise TypeError("this ordering takes no cursor")


def _is_bigint(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
