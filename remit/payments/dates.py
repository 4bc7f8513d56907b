"""The Pay On date rule (pure): the date the money leaves the customer's account, which is the ACH
file's effective entry date.

The biller's bank needs the file one banking day ahead, before the biller's daily cut-off time. So
the earliest Pay On date is the next banking day when the customer pays on a banking day before
the cut-off, and otherwise the banking day after that. Only banking days on the Federal Reserve
calendar, and at most a year ahead.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from remit.lib.banking_days import fed_holiday_name, is_banking_day, next_banking_day

LATEST_DAYS_AHEAD = 365


def file_day(now_local: datetime, cutoff: time) -> date:
    """The banking day whose ACH file can still carry a payment made at ``now_local``."""
    today = now_local.date()
    if is_banking_day(today) and now_local.time() < cutoff:
        return today
    return next_banking_day(today)


def earliest_pay_on(now_local: datetime, cutoff: time) -> date:
    return next_banking_day(file_day(now_local, cutoff))


def latest_pay_on(today: date) -> date:
    return today + timedelta(days=LATEST_DAYS_AHEAD)


def pay_on_problem(pay_on: date, *, now_local: datetime, cutoff: time) -> str | None:
    """Why ``pay_on`` can't be used, in words for the payer; None when it can."""
    earliest = earliest_pay_on(now_local, cutoff)
    if pay_on < now_local.date():
        return f"{pay_on:%b %-d, %Y} is in the past. The earliest Pay On date is {earliest:%a, %b %-d, %Y}."
    if not is_banking_day(pay_on):
        holiday = fed_holiday_name(pay_on)
        why = f"is {holiday}, a Federal Reserve holiday" if holiday else "is not a banking day (a weekend)"
        return f"{pay_on:%a, %b %-d, %Y} {why}. Choose a banking day."
    if pay_on < earliest:
        return (
            f"{pay_on:%a, %b %-d, %Y} is too soon: the bank needs a banking day's notice. "
            f"The earliest Pay On date is {earliest:%a, %b %-d, %Y}."
        )
    if pay_on > latest_pay_on(now_local.date()):
        return "Choose a Pay On date at most a year from today."
    return None
