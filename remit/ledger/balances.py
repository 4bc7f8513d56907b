"""What payments and credits leave on invoices: ``paid_cents`` (cleared), ``pending_cents`` (scheduled
or in flight) and ``credited_cents`` (credits applied), kept on the invoice and rewritten from the
allocations and credit applications by ``refresh_invoice_amounts`` — the only writer of those three
columns; and what is applied of each credit (``refresh_credit_amounts``, the only writer of
``Credit.applied_cents``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from remit.ledger.models import CLEARED, IN_FLIGHT, Allocation, Credit, CreditApplication, Invoice, Payment
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.lib.transactions import require_transaction

# Given invoice ids about to be refreshed, returns what to do once they are (see ``paid_watch``).
PaidWatch = Callable[[Sequence[int]], Callable[[], None]]


def refresh_invoice_amounts(invoice_ids: Iterable[int], *, paid_watch: PaidWatch | None = None) -> None:
    """Recompute paid and pending from the allocations, and credited from the credit applications, in
    the caller's transaction, after it locked the invoices; the invoice's check constraint refuses the
    transaction if more would be paid, pending or credited than the total. One UPDATE with correlated
    sums per ``IDS_PER_STATEMENT`` invoices.

    ``paid_watch``: the caller made money count as paid (a settlement, a recorded cheque), so an
    invoice may have become paid in full. It is called with each chunk before the update and what it
    returns after it: the payments app passes ``webhooks_paid_watch``, which emits ``invoice.paid``.
    """
    require_transaction("Refreshing invoice amounts")
    for chunk in batches(sorted(set(invoice_ids)), IDS_PER_STATEMENT):
        after = paid_watch(chunk) if paid_watch is not None else None
        Invoice.objects.filter(pk__in=chunk).update(
            paid_cents=_allocated(CLEARED), pending_cents=_allocated(IN_FLIGHT), credited_cents=_credited("invoice_id")
        )
        if after is not None:
            after()


def _allocated(statuses: tuple[str, ...]) -> Coalesce:
    # The payment's status is read per allocation (a scalar subquery), not through a join: with a
    # join PostgreSQL may plan to walk every payment of a status for each invoice when its
    # statistics are stale (a biller's first large Auto Pay sweep), which is many times slower.
    status = Subquery(Payment.objects.filter(pk=OuterRef("payment_id")).values("status")[:1])
    total = (
        Allocation.objects.filter(invoice_id=OuterRef("pk"))
        .annotate(payment_status=status)
        .filter(payment_status__in=statuses)
        .values("invoice_id")
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0))


def _credited(key: str) -> Coalesce:
    total = (
        CreditApplication.objects.filter(**{key: OuterRef("pk")})
        .values(key)
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0))


def refresh_credit_amounts(credit_ids: Iterable[int]) -> None:
    """Recompute what is applied of each credit from its applications, in the caller's transaction,
    after it locked the credits; the credit's check constraint refuses applying more than it."""
    require_transaction("Refreshing credit amounts")
    for chunk in batches(sorted(set(credit_ids)), IDS_PER_STATEMENT):
        Credit.objects.filter(pk__in=chunk).update(applied_cents=_credited("credit_id"))
