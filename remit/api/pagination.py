"""Cursor pagination, newest first: ``?cursor=`` from the previous page's ``next``, ``?limit=`` 1 to 200.

A cursor is a position, not a page number, so a page never repeats or skips an object while
others are being created. Ordering is by id, which is unique and never changes, so a position is
an id: ``a123`` is "the objects after #123" (older ones, as a ``next`` link reads), ``b123`` "the
ones before it" (a ``previous`` link). Anything else is a 400, as is a ``limit`` that isn't a
whole number from 1 to 200 — never a silent default.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

CURSOR = re.compile(r"([ab])([0-9]{1,18})")
INVALID_CURSOR = "This cursor is not valid: use the next or previous link as it was given."
LIMIT = re.compile(r"[0-9]{1,3}")
MAX_LIMIT = 200
INVALID_LIMIT = f"Use a whole number from 1 to {MAX_LIMIT}."


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    query_parameters = frozenset({"cursor", "limit"})

    def get_page_size(self, request: Request) -> int:
        text = request.query_params.get("limit")
        if text is None:
            return self.page_size
        if not LIMIT.fullmatch(text) or not 1 <= int(text) <= MAX_LIMIT:
            raise ValidationError({"limit": [INVALID_LIMIT]})
        return int(text)

    def decode_cursor(self, request: Request) -> Cursor | None:
        text = request.query_params.get(self.cursor_query_param)
        if text is None:
            return None
        match = CURSOR.fullmatch(text)
        if match is None:
            raise ValidationError({"cursor": [INVALID_CURSOR]})
        return Cursor(offset=0, reverse=match[1] == "b", position=int(match[2]))

    def encode_cursor(self, cursor: Cursor) -> str:
        # Ids are unique, so DRF never needs an offset to tell apart objects at the same position.
        assert cursor.offset == 0, cursor
        assert cursor.position is not None, cursor
        assert self.base_url is not None  # set by paginate_queryset
        token = f"{'b' if cursor.reverse else 'a'}{cursor.position}"
        return str(replace_query_param(self.base_url, self.cursor_query_param, token))

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "The `next` or `previous` link of the page before; omit it for the first page. "
                "`a<id>`: the objects after that one (older); `b<id>`: the ones before it (newer).",
                "schema": {"type": "string", "pattern": f"^{CURSOR.pattern}$"},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"How many objects per page: 1 to {MAX_LIMIT}, default {self.page_size}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": self.page_size},
            },
        ]
