"""Row locks, always taken in one order so that no two writers ever deadlock:

1. invoices, by id (``lock_invoices``; ``lock_invoice_rows`` when the rows themselves are not needed),
2. then payments, by id (``lock_payment``).

A manual payment, Auto Pay's batch, an edit, a void, a settlement and a return all lock the
invoices they touch first, then the payments. Every function here must run inside the caller's
transaction (a lock outside one is released at once).
"""

from __future__ import annotations

from collections.abc import Iterable

from remit.ledger.models import Invoice, Payment
from remit.lib.transactions import require_transaction


def lock_invoices(invoice_ids: Iterable[int]) -> dict[int, Invoice]:
    """Lock the invoices in id order and return them, read under the lock."""
    require_transaction("Locking invoices")
    return {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update().filter(pk__in=sorted(set(invoice_ids))).order_by("pk")
    }


def lock_invoice_rows(invoice_ids: Iterable[int]) -> None:
    """The same locks as ``lock_invoices`` without loading the rows (Auto Pay re-reads four columns)."""
    require_transaction("Locking invoices")
    locked = Invoice.objects.select_for_update().filter(pk__in=sorted(set(invoice_ids))).order_by("pk")
    list(locked.values_list("pk", flat=True))


def lock_payment(payment_id: int) -> Payment:
    """Lock one payment, after its invoices (see the order above)."""
    require_transaction("Locking a payment")
    return Payment.objects.select_for_update().get(pk=payment_id)
