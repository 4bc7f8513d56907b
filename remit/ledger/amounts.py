"""The two amounts the rest of Remit relies on, and the status they imply — defined here only.

- **balance**: the total minus payments that have *cleared* (settled) and credits applied to it;
- **amount available to pay**: the balance minus payments already scheduled or in flight (0 for a
  void invoice). No payment may ever be scheduled, nor credit applied, above it.

A credit applied counts like cleared money for the status (an invoice paid off by credits is
*paid*), but it is kept apart (``credited_cents``, not ``paid_cents``): "paid" stays the money that
came in, which receipts, the ``invoice.paid`` check for cash and the invoice's "Paid" line show.

Each is written twice, side by side: as a Python function (for one invoice in hand) and as a SQL
expression (for filtering, sorting and summing thousands of rows in the database). The tests prove
the two agree for every combination.
"""

from __future__ import annotations

from datetime import date

from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, F, Q, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Greatest

from remit.ledger.status import InvoiceStatus


def balance_cents(*, total: int, paid: int, credited: int) -> int:
    return max(total - paid - credited, 0)


def available_cents(*, total: int, paid: int, pending: int, credited: int, voided: bool) -> int:
    return 0 if voided else max(total - paid - pending - credited, 0)


def invoice_status(*, total: int, paid: int, credited: int, due_date: date, voided: bool, today: date) -> InvoiceStatus:
    if voided:
        return InvoiceStatus.VOID
    if paid + credited >= total:
        return InvoiceStatus.PAID
    if due_date < today:
        return InvoiceStatus.OVERDUE  # more urgent than "partially paid", so it wins
    if paid > 0 or credited > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN


# --- The same three, as SQL ----------------------------------------------------------------------

ZERO = Value(0)


def _owed() -> Combinable:
    """What is owed before payments: the total less the credits applied."""
    return F("total_cents") - F("credited_cents")


def balance_sql() -> Combinable:
    return Greatest(_owed() - F("paid_cents"), ZERO)


def available_sql() -> Combinable:
    return Case(
        When(voided_at__isnull=False, then=ZERO),
        default=Greatest(_owed() - F("paid_cents") - F("pending_cents"), ZERO),
    )


def status_sql(today: date) -> Case:
    return Case(
        When(voided_at__isnull=False, then=Value(InvoiceStatus.VOID.value)),
        When(paid_cents__gte=_owed(), then=Value(InvoiceStatus.PAID.value)),
        When(due_date__lt=today, then=Value(InvoiceStatus.OVERDUE.value)),
        When(Q(paid_cents__gt=0) | Q(credited_cents__gt=0), then=Value(InvoiceStatus.PARTIALLY_PAID.value)),
        default=Value(InvoiceStatus.OPEN.value),
        output_field=CharField(),
    )


def status_filter(status: str, today: date) -> Q:
    """The rows with this status, as a WHERE clause that can use the indexes (no CASE)."""
    unpaid = Q(voided_at__isnull=True, paid_cents__lt=_owed())
    return {
        InvoiceStatus.VOID: Q(voided_at__isnull=False),
        InvoiceStatus.PAID: Q(voided_at__isnull=True, paid_cents__gte=_owed()),
        InvoiceStatus.OVERDUE: unpaid & Q(due_date__lt=today),
        InvoiceStatus.PARTIALLY_PAID: unpaid & Q(due_date__gte=today) & (Q(paid_cents__gt=0) | Q(credited_cents__gt=0)),
        InvoiceStatus.OPEN: unpaid & Q(due_date__gte=today, paid_cents=0, credited_cents=0),
        "outstanding": unpaid,
    }[status]


def is_outstanding_sql() -> ExpressionWrapper:
    return ExpressionWrapper(Q(voided_at__isnull=True, paid_cents__lt=_owed()), output_field=BooleanField())
