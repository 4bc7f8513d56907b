"""What the reminder rounds of the next days would do (the console's Upcoming reminders): for each
day, each invoice whose step comes that day, to whom, and whether it would go or is skipped (covered
by scheduled payments, Auto Pay about to pay it, paused). Today also lists the steps a round has not
sent yet (the worker's next round sends them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from remit.billers.models import Biller
from remit.invoices.models import Invoice
from remit.ledger.amounts import status_filter
from remit.reminders import rules
from remit.reminders.engine import _coverage, _window
from remit.reminders.models import ReminderStep, describe_offset

DAYS = 14
LIMIT = 300


@dataclass(frozen=True)
class Upcoming:
    day: date
    invoice: Invoice
    step: str
    recipients: list[str]
    status: str  # "" (will go) or why it is skipped

    @property
    def goes(self) -> bool:
        return not self.status


def _status(invoice: Invoice) -> str:
    if invoice.paused:  # type: ignore[attr-defined]
        return "Skipped: paused"
    if invoice.available == 0:  # type: ignore[attr-defined]
        return "Skipped: fully covered by scheduled payments"
    if invoice.autopay_coming:  # type: ignore[attr-defined]
        return "Skipped: Auto Pay will pay it"
    if not invoice.customer.billing_emails:
        return "Skipped: no billing email"
    return ""


def upcoming_reminders(biller: Biller, *, today: date, days: int = DAYS, limit: int = LIMIT) -> list[Upcoming]:
    offsets = sorted(ReminderStep.objects.filter(biller=biller).values_list("offset_days", flat=True))
    found: list[Upcoming] = []
    unpaid = status_filter("outstanding", today)  # the ledger's rule: credits count too
    for offset, after, up_to in rules.step_windows(offsets, today):  # today: every step due and not sent
        rows = _coverage(_window(biller, offset, after, up_to).filter(unpaid), biller).select_related("customer")
        found += _listed(rows.order_by("due_date", "pk")[:limit], offset, today)
    last = today + timedelta(days=days - 1)
    for offset in offsets:  # the next days: the steps whose day it is
        first_due, last_due = today + timedelta(days=1 - offset), last - timedelta(days=offset)
        window = _window(biller, offset, first_due - timedelta(days=1), last_due).filter(unpaid)
        rows = _coverage(window, biller).select_related("customer")
        found += _listed(rows.order_by("due_date", "pk")[:limit], offset, None)
    found.sort(key=lambda row: (row.day, row.invoice.due_date, row.invoice.pk))
    return found[:limit]


def _listed(rows: object, offset: int, today: date | None) -> list[Upcoming]:
    """``today`` given: these go in today's round, whatever their step's day was."""
    listed = []
    for invoice in rows:  # type: ignore[attr-defined]
        on = invoice.due_date + timedelta(days=offset)
        if on < invoice.issue_date:
            continue
        listed.append(
            Upcoming(
                day=today or on,
                invoice=invoice,
                step=describe_offset(offset),
                recipients=list(invoice.customer.billing_emails),
                status=_status(invoice),
            )
        )
    return listed
