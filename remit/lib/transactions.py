"""Helpers that write part of someone else's change call ``require_transaction`` first: an email, a
webhook or an invoice amount written outside the change's transaction could survive a change that
rolled back, or be lost when the process dies between the two."""

from __future__ import annotations

from django.db import transaction


def require_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} must run inside the transaction of the change it belongs to.")
