"""What the `remit` commands share when reading their arguments."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError


def date_argument(text: str) -> date:
    """A YYYY-MM-DD argument (e.g. ``--today``), or the command stops with a message naming it."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"“{text}” is not a date; use YYYY-MM-DD.") from None
