"""A statement of account, as a pure function of dated entries (no ORM: ``gather.py`` reads them).

**Which date each entry counts on** (every date a business date in the biller's time zone):

- an **invoice** (+ its total) on its issue date;
- a **payment** (− its amount) on the day it settled: an ACH debit when Remit marked it settled (no
  return within the biller's settlement days), a payment received outside Remit (cheque, wire…) on
  the day it was received (its Pay On). Scheduled or sent payments are not in the balance — a
  scheduled payment can still bounce —; the statement lists them apart as *scheduled*;
- a **return** (+ the payment's amount) on the day a settled payment came back; a payment returned
  before it settled never reduced the balance, so it has no line. A dishonored return (the biller's
  bank refused it) makes the payment settled again: a new payment line on that day;
- a **credit** (− its amount) on the day it was issued (see ``gather.credit_entries``);
- a **void** (− what the invoice still asked for) on the day it was voided, never before its issue date.

Within a day: invoices, then returns, payments, credits and voids, each in the order they happened.

The **aging** is as of the closing date: each invoice's balance then (its total, less the payments
and credits applied to it by that day, plus returns, less a void) in the bucket of its days past due
(``current``: not yet due). What payments or credits carry beyond their invoices (account credit)
is ``unapplied_cents`` (≤ 0). The buckets plus ``unapplied_cents`` always equal the closing balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from remit.lib.errors import ActionError


class StatementError(ActionError):
    """A period the statement can't be made for (``from`` / ``to`` name the fields)."""


class EntryKind(StrEnum):
    INVOICE = "invoice"
    RETURN = "return"
    PAYMENT = "payment"
    CREDIT = "credit"
    VOID = "void"


# +1: the customer owes more; −1: less.
SIGN = {EntryKind.INVOICE: 1, EntryKind.RETURN: 1, EntryKind.PAYMENT: -1, EntryKind.CREDIT: -1, EntryKind.VOID: -1}
DAY_ORDER = {kind: rank for rank, kind in enumerate(EntryKind)}

MAX_PERIOD_YEARS = 5


@dataclass(frozen=True)
class Entry:
    """One dated change to what the customer owes. ``amount_cents`` is never negative: ``kind`` says
    which way it goes. ``parts`` are the (invoice key, cents) it applies to (a payment's allocations, a
    credit against an invoice); an invoice or a void applies wholly to ``invoice_key``. ``order``
    breaks ties within a day (e.g. the row's id, or when it was recorded)."""

    kind: EntryKind
    on: date
    amount_cents: int
    reference: str
    description: str = ""
    invoice_key: int | None = None
    due_date: date | None = None  # invoices only: for the aging
    parts: tuple[tuple[int, int], ...] = ()
    order: tuple[int, ...] = ()

    @property
    def signed_cents(self) -> int:
        return SIGN[self.kind] * self.amount_cents

    def applied(self) -> list[tuple[int | None, int]]:
        """The signed amount split by invoice; ``None`` is what applies to no invoice (account credit)."""
        if self.kind in (EntryKind.INVOICE, EntryKind.VOID):
            return [(self.invoice_key, self.signed_cents)]
        sign = SIGN[self.kind]
        split: list[tuple[int | None, int]] = [(key, sign * cents) for key, cents in self.parts]
        rest = self.amount_cents - sum(cents for _, cents in self.parts)
        if rest:
            split.append((None, sign * rest))
        return split


@dataclass(frozen=True)
class Line:
    entry: Entry
    balance_cents: int  # the running balance after this line

    @property
    def charge_cents(self) -> int:
        return self.entry.amount_cents if SIGN[self.entry.kind] > 0 else 0

    @property
    def credit_cents(self) -> int:
        return self.entry.amount_cents if SIGN[self.entry.kind] < 0 else 0


@dataclass(frozen=True)
class Scheduled:
    """A payment on its way (scheduled or sent to the bank): information only, not in the balance."""

    pay_on: date
    amount_cents: int
    reference: str


BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")
BUCKET_LABELS = {
    "current": "Current",
    "days_1_30": "1–30 days",
    "days_31_60": "31–60 days",
    "days_61_90": "61–90 days",
    "over_90": "Over 90 days",
}


@dataclass(frozen=True)
class Aging:
    current: int = 0
    days_1_30: int = 0
    days_31_60: int = 0
    days_61_90: int = 0
    over_90: int = 0
    unapplied_cents: int = 0  # account credit not applied to any invoice (≤ 0 when there is some)

    @property
    def buckets(self) -> list[tuple[str, str, int]]:
        return [(name, BUCKET_LABELS[name], getattr(self, name)) for name in BUCKETS]

    @property
    def total_cents(self) -> int:
        return sum(getattr(self, name) for name in BUCKETS) + self.unapplied_cents


def bucket_of(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "days_1_30"
    if days_past_due <= 60:
        return "days_31_60"
    if days_past_due <= 90:
        return "days_61_90"
    return "over_90"


@dataclass(frozen=True)
class Statement:
    start: date
    end: date
    opening_cents: int
    lines: list[Line]
    closing_cents: int
    aging: Aging
    scheduled: list[Scheduled] = field(default_factory=list)

    def total(self, kind: EntryKind) -> int:
        return sum(line.entry.amount_cents for line in self.lines if line.entry.kind == kind)

    @property
    def totals(self) -> dict[str, int]:
        return {kind.value: self.total(kind) for kind in EntryKind}

    @property
    def scheduled_cents(self) -> int:
        return sum(item.amount_cents for item in self.scheduled)


def years_after(day: date, years: int) -> date | None:
    """The same day ``years`` later (Feb 29th → Feb 28th), or None past the end of the calendar."""
    if day.year + years > date.max.year:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # February 29th in a year without one
        return day.replace(year=day.year + years, day=28)


def check_period(start: date | None, end: date | None) -> tuple[date, date]:
    """The period, or a StatementError naming the field (``from``, ``to``) that is wrong."""
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["from"] = ["Enter the first day of the period."]
    if end is None:
        errors["to"] = ["Enter the last day of the period."]
    if start is not None and end is not None:
        if end < start:
            errors["to"] = ["The last day can't be before the first day."]
        elif (limit := years_after(start, MAX_PERIOD_YEARS)) is not None and end >= limit:
            errors["to"] = ["A statement covers at most five years; choose a shorter period."]
    if errors or start is None or end is None:
        raise StatementError(errors=errors)
    return start, end


def in_order(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda entry: (entry.on, DAY_ORDER[entry.kind], entry.order))


def aging_on(entries: Iterable[Entry], *, on: date) -> Aging:
    """Each invoice's balance on ``on`` in the bucket of its days past due then."""
    balances: dict[int | None, int] = {}
    due: dict[int, date] = {}
    for entry in entries:
        if entry.on > on:
            continue
        if entry.kind == EntryKind.INVOICE and entry.invoice_key is not None and entry.due_date is not None:
            due[entry.invoice_key] = entry.due_date
        for key, cents in entry.applied():
            balances[key] = balances.get(key, 0) + cents
    sums = dict.fromkeys(BUCKETS, 0)
    unapplied = balances.pop(None, 0)
    for key, cents in balances.items():
        if key in due:
            sums[bucket_of((on - due[key]).days)] += cents
        else:  # applied to an invoice this statement doesn't list: count it with the account credit
            unapplied += cents
    return Aging(**sums, unapplied_cents=unapplied)


def build_statement(
    *, entries: Sequence[Entry], start: date, end: date, scheduled: Sequence[Scheduled] = ()
) -> Statement:
    """Opening balance (everything before ``start``), the period's lines with a running balance,
    the closing balance, and the aging on ``end``. Entries after ``end`` are ignored."""
    start, end = check_period(start, end)
    ordered = in_order(entries)
    opening = sum(entry.signed_cents for entry in ordered if entry.on < start)
    lines: list[Line] = []
    running = opening
    for entry in ordered:
        if start <= entry.on <= end:
            running += entry.signed_cents
            lines.append(Line(entry=entry, balance_cents=running))
    return Statement(
        start=start,
        end=end,
        opening_cents=opening,
        lines=lines,
        closing_cents=running,
        aging=aging_on(ordered, on=end),
        scheduled=list(scheduled),
    )


# --- Periods the portal and console offer ---------------------------------------------------------

PERIODS = [
    ("last_30", "Last 30 days"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter"),
    ("this_year", "This year"),
    ("custom", "Custom"),
]
DEFAULT_PERIOD = "last_30"


def days_before(day: date, days: int) -> date:
    """``day`` less ``days`` days, never before the first day of the calendar."""
    return day - timedelta(days=days) if (day - date.min).days >= days else date.min


def month_before(day: date) -> tuple[date, date]:
    """The calendar month before the one ``day`` is in: what a monthly statement on the 1st covers."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def period_dates(name: str, *, today: date) -> tuple[date, date]:
    """The dates of a named period (not "custom"), ending today at the latest."""
    if name == "this_month":
        return today.replace(day=1), today
    if name == "last_month":
        return month_before(today)
    if name == "this_quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if name == "this_year":
        return today.replace(month=1, day=1), today
    return days_before(today, 29), today
