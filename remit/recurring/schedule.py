"""When a recurring invoice issues (a pure core): the dates of its schedule.

Every date is counted from the start date, never from the previous date, so a schedule that starts
on the 31st issues on the last day of each shorter month and is back on the 31st in the months that
have one (Jan 31, Feb 28, Mar 31…); a yearly one from Feb 29 issues on Feb 28 in other years. Date
``n`` (0, 1, 2…) of a schedule is therefore the same whatever happened to the dates before it.

A schedule ends at its end date (included) or after ``count`` dates, and never has more than
``MAX_INVOICES`` dates: a template with no end issues at most that many too (19 years of weeks).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta

MAX_INVOICES = 1_000

WEEKLY, MONTHLY, QUARTERLY, YEARLY = "weekly", "monthly", "quarterly", "yearly"
MONTHS = {MONTHLY: 1, QUARTERLY: 3, YEARLY: 12}
FREQUENCIES = (WEEKLY, MONTHLY, QUARTERLY, YEARLY)


class ScheduleError(ValueError):
    pass


def add_months(start: date, months: int) -> date:
    """``start`` moved ``months`` calendar months on, on the same day or the month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        raise ScheduleError("The schedule runs past the year 9999.")
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def nth_date(start: date, frequency: str, n: int) -> date:
    """Date ``n`` (0 is the start date) of a schedule."""
    if frequency == WEEKLY:
        try:
            return start + timedelta(weeks=n)
        except OverflowError:
            raise ScheduleError("The schedule runs past the year 9999.") from None
    if frequency not in MONTHS:
        raise ScheduleError(f"Unknown frequency “{frequency}”.")
    return add_months(start, MONTHS[frequency] * n)


def dates_count(start: date, frequency: str, *, end_on: date | None = None, count: int | None = None) -> int:
    """How many dates the schedule has: ``count``, the dates up to ``end_on``, or ``MAX_INVOICES``
    when neither is set. Stops counting at ``MAX_INVOICES + 1`` (more is refused anyway)."""
    if count is not None:
        return min(count, MAX_INVOICES + 1)
    if end_on is None:
        return MAX_INVOICES
    found = 0
    while found <= MAX_INVOICES:
        try:
            if nth_date(start, frequency, found) > end_on:
                break
        except ScheduleError:
            break
        found += 1
    return found


def schedule_dates(
    start: date,
    frequency: str,
    *,
    end_on: date | None = None,
    count: int | None = None,
    first: int = 0,
    until: date | None = None,
) -> Iterator[tuple[int, date]]:
    """The schedule's dates as (n, date), from date ``first`` on, up to ``until`` (included)."""
    total = min(dates_count(start, frequency, end_on=end_on, count=count), MAX_INVOICES)
    for n in range(first, total):
        try:
            day = nth_date(start, frequency, n)
        except ScheduleError:
            return
        if until is not None and day > until:
            return
        yield n, day
