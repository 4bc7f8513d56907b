"""Banking days on the Federal Reserve calendar (pure functions, no database).

The Fed is closed on weekends and its holidays. A holiday on a Sunday closes the Monday after; one
on a Saturday does not close the Friday before — ``holidays.financial_holidays("XFED")`` knows
this (2022-12-26 closed, 2026-07-03 open), while ``holidays.US()`` and the NYSE calendar differ.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _fed_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XFED", years=[year]).keys())


def fed_holiday_name(day: date) -> str | None:
    names = holidays.financial_holidays("XFED", years=[day.year])
    return names.get(day)


def is_banking_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _fed_holidays(day.year)


def next_banking_day(day: date) -> date:
    """The first banking day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_banking_day(day):
        day += timedelta(days=1)
    return day


def on_or_after(day: date) -> date:
    """``day`` if it is a banking day, else the next one (how the Fed settles a closed date)."""
    return day if is_banking_day(day) else next_banking_day(day)


def previous_banking_day(day: date) -> date:
    """The last banking day strictly before ``day``."""
    day -= timedelta(days=1)
    while not is_banking_day(day):
        day -= timedelta(days=1)
    return day


def add_banking_days(day: date, count: int) -> date:
    """Move ``count`` banking days forward (positive) or back (negative) from ``day``.

    Counting starts from ``day`` itself even when it is not a banking day: two banking days
    before a Sunday due date is the Thursday.
    """
    step = next_banking_day if count >= 0 else previous_banking_day
    for _ in range(abs(count)):
        day = step(day)
    return day


def banking_days(start: date, end: date) -> list[date]:
    """Every banking day from ``start`` to ``end``, both included."""
    days, day = [], start
    while day <= end:
        if is_banking_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days
