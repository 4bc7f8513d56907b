"""Row locks, always taken in one order so that no two writers ever deadlock:

1. invoices, by id (``lock_invoices``; ``lock_invoice_rows`` when the rows themselves are not needed),
2. then credits, by id (``lock_credits``) — a credit being issued takes the biller's credit number
   counter before them (``payments.credits``), never before an invoice,
3. then payments, by id (``lock_payment``).

A manual payment, Auto Pay's batch, an edit, a void, a settlement and a return all lock the
invoices they touch first, then the payments. Every function here must run inside the caller's
transaction (a lock outside one is released at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from django.db.models import QuerySet

from remit.ledger.models import Credit, Invoice, Payment
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.lib.transactions import require_transaction


def lock_invoices(invoice_ids: Iterable[int]) -> dict[int, Invoice]:
    """Lock the invoices in id order and return them, read under the lock."""
    require_transaction("Locking invoices")
    return {invoice.pk: invoice for chunk in _in_order(invoice_ids) for invoice in _locking(chunk)}


def lock_invoice_rows(invoice_ids: Iterable[int]) -> None:
    """The same locks as ``lock_invoices`` without loading the rows (Auto Pay re-reads four columns)."""
    require_transaction("Locking invoices")
    for chunk in _in_order(invoice_ids):
        list(_locking(chunk).values_list("pk", flat=True))


def _in_order(ids: Iterable[int]) -> Iterator[Sequence[int]]:
    """The ids sorted, in slices for bounded IN (…) lists: slices of one sorted list keep the order."""
    return batches(sorted(set(ids)), IDS_PER_STATEMENT)


def _locking(ids: Sequence[int]) -> QuerySet[Invoice]:
    return Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk")


def lock_payment(payment_id: int) -> Payment:
    """Lock one payment, after its invoices (see the order above)."""
    require_transaction("Locking a payment")
    return Payment.objects.select_for_update().get(pk=payment_id)


def lock_credits(credit_ids: Iterable[int]) -> dict[int, Credit]:
    """Lock the credits in id order, after their invoices (see the order above), and return them."""
    require_transaction("Locking credits")
    return {
        credit.pk: credit
        for chunk in _in_order(credit_ids)
        for credit in Credit.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
    }
