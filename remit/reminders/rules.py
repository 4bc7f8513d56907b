"""The reminder and late fee rules as pure functions (no database): which step of a schedule is due
for an invoice on a day, the shape of a step and of a late fee policy, and the fee itself.

Missed steps: when the worker was down for days (or a schedule is new), only the *latest* step whose
day has come is sent, never a burst of the ones before it — a customer gets one email that says where
the invoice stands today, not three in a minute. A step whose day is before the invoice's issue date
is never sent either (the invoice's own email says it all then), and a step that is not later than
one already sent is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from remit.lib.money import MAX_CENTS, format_cents, multiply_cents

MAX_OFFSET_DAYS = 365
MAX_STEPS = 20
MAX_GRACE_DAYS = 365
SUBJECT_MAX = 150
MESSAGE_MAX = 1000
MAX_FIXED_FEE_CENTS = 1_000_000  # $10,000: a late fee above it is a typo, not a policy


def whole_number(text: str | None) -> int | None:
    """ "-7" → -7; anything else (empty, "7.5", "seven", absurdly long) → None."""
    raw = (text or "").strip().replace("−", "-")
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 6:
        return None
    return int(raw)


def step_problems(
    *, offset_days: int | None, subject: str, message: str, other_offsets: Sequence[int]
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if offset_days is None:
        problems["offset_days"] = "Enter a whole number of days: negative before the due date, 0 on it, positive after."
    elif abs(offset_days) > MAX_OFFSET_DAYS:
        problems["offset_days"] = f"A reminder can be at most {MAX_OFFSET_DAYS} days before or after the due date."
    elif offset_days in other_offsets:
        problems["offset_days"] = "There is already a reminder on that day; change that one instead."
    if not subject.strip():
        problems["subject"] = "Enter the subject of the email."
    elif len(subject) > SUBJECT_MAX:
        problems["subject"] = f"The subject is longer than {SUBJECT_MAX} characters."
    if len(message) > MESSAGE_MAX:
        problems["message"] = f"The message is longer than {MESSAGE_MAX:,} characters; keep it short."
    return problems


@dataclass(frozen=True)
class FeeTerms:
    kind: str  # "none", "fixed" or "percent" (models.LateFeeKind)
    fixed_cents: int = 0
    percent: Decimal = Decimal(0)
    grace_days: int = 0


def percent_value(text: str | None) -> Decimal | None:
    raw = (text or "").strip().rstrip("%").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def policy_problems(
    *, kind: str, fixed_cents: int | None, percent: Decimal | None, grace_days: int | None
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if kind not in ("none", "fixed", "percent"):
        problems["kind"] = "Choose no late fee, a fixed amount or a percentage."
    if kind == "fixed":
        if fixed_cents is None or fixed_cents <= 0:
            problems["fixed"] = "Enter the late fee, in dollars and cents, more than zero."
        elif fixed_cents > MAX_FIXED_FEE_CENTS:
            problems["fixed"] = f"A late fee above {format_cents(MAX_FIXED_FEE_CENTS)} is refused; check the amount."
    if kind == "percent":
        if percent is None:
            problems["percent"] = "Enter the percentage of the balance left, e.g. 1.5."
        elif percent <= 0:
            problems["percent"] = "Enter a percentage more than zero."
        elif percent > 100:
            problems["percent"] = "A late fee above 100% would be more than the invoice; enter at most 100."
        elif -(percent.as_tuple().exponent or 0) > 2:  # type: ignore[operator]
            problems["percent"] = "Use at most two decimals, e.g. 1.25."
    if grace_days is None or grace_days < 0:
        problems["grace_days"] = "Enter the days of grace after the due date: 0 or more."
    elif grace_days > MAX_GRACE_DAYS:
        problems["grace_days"] = f"Enter at most {MAX_GRACE_DAYS} days of grace."
    return problems


def fee_cents(terms: FeeTerms, *, balance_cents: int) -> int:
    """The fee on an invoice with ``balance_cents`` left (0: no fee)."""
    if terms.kind == "fixed":
        return min(terms.fixed_cents, MAX_CENTS)
    if terms.kind == "percent":
        return multiply_cents(balance_cents, terms.percent / 100)
    return 0


def fee_due(terms: FeeTerms, *, due_date: date, today: date) -> bool:
    """Past due by more than the grace days (grace 0: the day after the due date)."""
    return terms.kind != "none" and today > due_date + timedelta(days=terms.grace_days)


def latest_due_step(
    offsets: Sequence[int], *, due_date: date, issue_date: date, today: date, sent: Sequence[int] = ()
) -> int | None:
    """The step to send for an invoice today (its offset), or None. See the module's docstring."""
    come = [offset for offset in offsets if due_date + timedelta(days=offset) <= today]
    if not come:
        return None
    latest = max(come)
    if due_date + timedelta(days=latest) < issue_date:
        return None
    if any(done >= latest for done in sent):
        return None
    return latest


def step_windows(offsets: Sequence[int], today: date) -> list[tuple[int, date | None, date]]:
    """For each step (ascending offsets): the due dates of the invoices for which it is the latest
    step whose day has come on ``today`` — (offset, after, up_to): ``after < due_date <= up_to``
    (``after`` None for the last step). What ``latest_due_step`` says, as date ranges for SQL."""
    ordered = sorted(set(offsets))
    windows: list[tuple[int, date | None, date]] = []
    for index, offset in enumerate(ordered):
        up_to = today - timedelta(days=offset)
        later = ordered[index + 1] if index + 1 < len(ordered) else None
        after = today - timedelta(days=later) if later is not None else None
        windows.append((offset, after, up_to))
    return windows
