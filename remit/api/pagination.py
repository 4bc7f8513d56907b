"""Cursor pagination, newest first: ``?cursor=`` from the previous page's ``next``, ``?limit=`` up to 200.

A cursor is an opaque position, not a page number, so a page never repeats or skips an object
while others are being created. Ordering is by id, which never changes.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination

ID_PATTERN = re.compile(r"[0-9]{1,18}")
INVALID_CURSOR = "This cursor is not valid: use the next or previous link as it was given."


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    page_size_query_description = "How many objects per page (1–200, default 50)."
    cursor_query_description = "The `next` or `previous` link of the page before; omit it for the first page."

    def decode_cursor(self, request: Any) -> Cursor | None:
        # A damaged cursor is a mistake in the request (400), not a missing page. Its position is
        # an id: anything else would reach the database as a filter on the id.
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
        if cursor is not None and cursor.position is not None and not ID_PATTERN.fullmatch(str(cursor.position)):
            raise ValidationError({"cursor": [INVALID_CURSOR]})
        return cursor
