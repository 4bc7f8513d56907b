"""The entries of one customer's statement, read in a few queries (four, however long the history).

Returns are read from the payments' own history (``PaymentEvent``: settled → returned), not from
the ACH app, so this app sits below ach and reads only the ledger (credits included).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F

from remit.customers.models import Customer
from remit.ledger.models import (
    IN_FLIGHT,
    Allocation,
    Credit,
    CreditSource,
    Invoice,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
)
from remit.statements.core import Entry, EntryKind, Scheduled, Statement, build_statement, check_period

PartsByPayment = dict[int, list[tuple[int, int]]]


def statement_for(customer: Customer, *, start: date | None, end: date | None) -> Statement:
    """The customer's statement for the period (refused with ``StatementError`` at the field)."""
    start, end = check_period(start, end)
    return build_statement(
        entries=entries_of(customer, through=end), start=start, end=end, scheduled=scheduled_of(customer)
    )


def entries_of(customer: Customer, *, through: date) -> list[Entry]:
    zone = ZoneInfo(customer.biller.time_zone)
    credits, overpaid = credit_entries(customer, zone, through=through)
    entries = invoice_entries(customer, zone) + payment_entries(customer, zone, overpaid=overpaid) + credits
    return [entry for entry in entries if entry.on <= through]


def _day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def invoice_entries(customer: Customer, zone: ZoneInfo) -> list[Entry]:
    """Each invoice on its issue date; a void on the day it was voided (never before the issue date).
    An invoice can only be voided while nothing is paid, so the void takes back its whole total."""
    entries: list[Entry] = []
    rows = Invoice.objects.filter(biller_id=customer.biller_id, customer=customer).values_list(
        "pk", "number", "issue_date", "due_date", "total_cents", "voided_at", "void_reason"
    )
    for pk, number, issued, due, total, voided_at, reason in rows:
        entries.append(
            Entry(
                kind=EntryKind.INVOICE,
                on=issued,
                amount_cents=total,
                reference=number,
                description=f"Invoice {number}, due {due:%b %-d, %Y}",
                invoice_key=pk,
                due_date=due,
                order=(pk,),
            )
        )
        if voided_at is not None:
            entries.append(
                Entry(
                    kind=EntryKind.VOID,
                    on=max(_day(voided_at, zone), issued),
                    amount_cents=total,
                    reference=number,
                    description=f"Invoice {number} voided" + (f": {reason}" if reason else ""),
                    invoice_key=pk,
                    order=(pk,),
                )
            )
    return entries


METHOD_LABELS = dict(PaymentMethod.choices)


def payment_entries(customer: Customer, zone: ZoneInfo, *, overpaid: PartsByPayment | None = None) -> list[Entry]:
    """A payment line for every move into *settled*, a return line for every move from settled to
    *returned* (two queries: the moves, and the settled or returned payments' allocations).
    ``overpaid``: where the overpayment credit of a recorded payment has been applied since (see
    ``credit_entries``) — more of that payment's parts."""
    moves = (
        PaymentEvent.objects.filter(
            payment__customer=customer,
            payment__biller_id=customer.biller_id,
            to_status__in=(PaymentStatus.SETTLED, PaymentStatus.RETURNED),
        )
        .exclude(from_status=F("to_status"))  # a note on the history (e.g. a retry scheduled) moves no money
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "payment_id",
            "from_status",
            "to_status",
            "created_at",
            "payment__amount_cents",
            "payment__method",
            "payment__pay_on",
            "payment__reference",
        )
    )
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    numbers: dict[int, list[str]] = defaultdict(list)
    for payment_id, invoice_id, number, cents in (
        Allocation.objects.filter(
            payment__customer=customer, payment__status__in=(PaymentStatus.SETTLED, PaymentStatus.RETURNED)
        )
        .order_by("invoice__due_date", "invoice_id")
        .values_list("payment_id", "invoice_id", "invoice__number", "amount_cents")
    ):
        parts[payment_id].append((invoice_id, cents))
        numbers[payment_id].append(number)
    for payment_id, applied in (overpaid or {}).items():
        parts[payment_id].extend(applied)
    entries: list[Entry] = []
    for pk, payment_id, from_status, to_status, at, amount, method, pay_on, reference in moves:
        paid_for = ", ".join(numbers[payment_id])
        label = METHOD_LABELS.get(method, method)
        if to_status == PaymentStatus.SETTLED:
            received = method != PaymentMethod.ACH and not from_status  # recorded as received: on its day
            entries.append(
                Entry(
                    kind=EntryKind.PAYMENT,
                    on=pay_on if received else _day(at, zone),
                    amount_cents=amount,
                    reference=reference or f"Payment {payment_id}",
                    description=(f"Payment ({label})" if from_status != PaymentStatus.RETURNED else "Payment restored")
                    + (f" for {paid_for}" if paid_for else ""),
                    parts=tuple(parts[payment_id]),
                    order=(pk,),
                )
            )
        elif from_status == PaymentStatus.SETTLED:
            entries.append(
                Entry(
                    kind=EntryKind.RETURN,
                    on=_day(at, zone),
                    amount_cents=amount,
                    reference=reference or f"Payment {payment_id}",
                    description="Payment returned by the bank" + (f" ({paid_for})" if paid_for else ""),
                    parts=tuple(parts[payment_id]),
                    order=(pk,),
                )
            )
    return entries


def credit_entries(customer: Customer, zone: ZoneInfo, *, through: date) -> tuple[list[Entry], PartsByPayment]:
    """The credits issued to the customer, each on the day it was issued, and where the credit had
    been applied by the end of ``through`` (one query: the credits joined to their applications).

    Only *issued* credits are lines: an *overpayment* credit is the part of a recorded payment above
    what was owed, and that payment's line already counts the whole amount received. Applying credit
    later (the portal's Apply credit, Auto Pay, the biller) moves no balance — it only says which
    invoice the credit now pays, which the aging needs: so the applications become the ``parts`` of
    the issued credit's line, and of the overpaid payment's line (returned by payment id)."""
    rows = (
        Credit.objects.filter(customer=customer, biller_id=customer.biller_id)
        .order_by("pk", "applications__pk")
        .values_list(
            "pk",
            "number",
            "reason",
            "amount_cents",
            "created_at",
            "source",
            "payment_id",
            "applications__invoice_id",
            "applications__amount_cents",
            "applications__applied_at",
        )
    )
    credits: dict[int, dict[str, Any]] = {}
    for pk, number, reason, amount, created_at, source, payment_id, invoice_id, cents, applied_at in rows:
        credit = credits.setdefault(
            pk,
            {
                "number": number,
                "reason": reason,
                "amount": amount,
                "on": _day(created_at, zone),
                "source": source,
                "payment_id": payment_id,
                "parts": defaultdict(int),
            },
        )
        if invoice_id is not None and _day(applied_at, zone) <= through:
            credit["parts"][invoice_id] += cents
    entries: list[Entry] = []
    overpaid: PartsByPayment = defaultdict(list)
    for pk, credit in credits.items():
        parts = tuple(credit["parts"].items())
        if credit["source"] == CreditSource.OVERPAYMENT:
            overpaid[credit["payment_id"]].extend(parts)
            continue
        entries.append(
            Entry(
                kind=EntryKind.CREDIT,
                on=credit["on"],
                amount_cents=credit["amount"],
                reference=credit["number"],
                description=f"Credit {credit['number']}: {credit['reason']}",
                parts=parts,
                order=(pk,),
            )
        )
    return entries, overpaid


def scheduled_of(customer: Customer) -> list[Scheduled]:
    """The payments on their way now (scheduled or sent): shown apart, not in the balance."""
    rows = (
        Payment.objects.filter(customer=customer, biller_id=customer.biller_id, status__in=IN_FLIGHT)
        .order_by("pay_on", "pk")
        .values_list("pk", "pay_on", "amount_cents", "is_autopay")
    )
    return [
        Scheduled(pay_on=pay_on, amount_cents=cents, reference=f"Payment {pk}" + (" (Auto Pay)" if autopay else ""))
        for pk, pay_on, cents, autopay in rows
    ]
