"""Auto Pay's rules, pure: when it pays an invoice, and how much.

**When**: the invoice's due date moved by the chosen number of banking days (Federal Reserve
calendar) before or after it; "0 days" is the due date itself, or the banking day before it when the
due date is a weekend or holiday, so the money still leaves on time. If that date is already too
soon for the bank (issue 5's Pay On rule: a banking day's notice before the biller's cut-off), it
moves to the earliest possible Pay On date.

**How much**: what is available to pay on the invoice, up to the Maximum Payment Amount. What is
above the maximum is left for the customer to pay by hand, and they are told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from remit.lib.banking_days import add_banking_days, is_banking_day, previous_banking_day
from remit.payments.dates import earliest_pay_on


def target_date(due: date, offset: int) -> date:
    """The banking day ``offset`` banking days after (positive) or before (negative) ``due``."""
    if offset == 0:
        return due if is_banking_day(due) else previous_banking_day(due)
    return add_banking_days(due, offset)


def autopay_pay_on(due: date, offset: int, *, now_local: datetime, cutoff: time) -> date:
    return max(target_date(due, offset), earliest_pay_on(now_local, cutoff))


@dataclass(frozen=True)
class Split:
    pay_cents: int  # what Auto Pay debits
    left_cents: int  # what is above the maximum, for the customer to pay by hand


def split(available_cents: int, max_cents: int) -> Split:
    pay = min(available_cents, max_cents)
    return Split(pay_cents=max(pay, 0), left_cents=max(available_cents - max_cents, 0))
