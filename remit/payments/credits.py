"""Credits: money the biller owes a customer back, and its use on invoices — the one write path for
both (the console, the API, a recorded cheque above what was owed, the portal's **Apply credit** and
Auto Pay all come here).

A credit is issued against an invoice (applied at once) or as unapplied account credit. Applying it
lowers what is left to pay on the invoice exactly like a cleared payment would (``credited_cents``,
see ``remit.ledger.amounts``), never above the invoice's amount available to pay; what is not
applied yet is used first by the portal (when the payer ticks **Apply credit**) and by Auto Pay.

Locks follow the ledger's one order (``remit.ledger.locks``): invoices, then credits, then
payments. A credit row is locked before anything is applied from it, so two applications of the
same credit, whoever makes them, can never apply more than it (and the database refuses it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum

from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceEvent
from remit.ledger.balances import refresh_credit_amounts, refresh_invoice_amounts
from remit.ledger.claims import claim_make_room
from remit.ledger.counters import advance_counter
from remit.ledger.errors import PaymentError
from remit.ledger.locks import lock_credits, lock_invoices
from remit.ledger.models import AutoPayClaim
from remit.lib.money import format_cents
from remit.lib.transactions import require_transaction
from remit.payments.allocation import Payable, Usable, spread_credits
from remit.payments.models import (
    Credit,
    CreditApplication,
    CreditAppliedBy,
    CreditCounter,
    CreditSource,
    Payment,
    PaymentStatus,
)
from remit.users.models import User
from remit.webhooks.emit import webhooks_emit, webhooks_paid_watch
from remit.webhooks.models import EventType

NUMBER_PREFIX = "CN-"
DIGITS = 6


class CreditError(PaymentError):
    """A credit can't be issued or applied as asked; ``field`` names the form field at fault."""


def format_credit_number(number: int) -> str:
    return f"{NUMBER_PREFIX}{number:0{DIGITS}d}"


def _take_number(biller_id: int) -> str:
    """The biller's next credit note number (``ledger.counters``: never repeated, given back on rollback)."""
    return format_credit_number(advance_counter(CreditCounter, biller_id=biller_id))


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise CreditError("Enter the reason for the credit; the customer will see it.", field="reason")
    if len(reason) > 500:
        raise CreditError("Keep the reason under 500 characters.", field="reason")
    return reason


def _make_room(invoice: Invoice, cents: int, *, actor: User | None, reason: str) -> Invoice:
    """The invoice (locked by the caller), with room made on Auto Pay's scheduled payment if ``cents``
    is above what is available: the credit pays that part instead of the debit."""
    extra = cents - invoice.available_cents
    if extra > 0 and not invoice.is_void and claim_make_room(invoice=invoice, cents=extra, actor=actor, reason=reason):
        return Invoice.objects.get(pk=invoice.pk)
    return invoice


def _check_invoice(invoice: Invoice, *, customer_id: int, cents: int) -> None:
    if invoice.customer_id != customer_id:
        raise CreditError("Choose an invoice of this customer.", field="invoice")
    if invoice.is_void:
        raise CreditError(f"Invoice {invoice.number} is void; no credit can be applied to it.", field="invoice")
    if cents > invoice.available_cents:
        left = invoice.available_cents
        raise CreditError(
            f"That is more than the {format_cents(left)} left on {invoice.number} (not already paid, scheduled "
            "or credited)."
            if left
            else f"Nothing is left on {invoice.number}: it is already paid, scheduled or credited.",
            field="amount",
        )


@transaction.atomic
def credit_issue(
    *,
    biller: Biller,
    customer: Customer,
    amount_cents: int,
    reason: str,
    invoice: Invoice | None = None,
    actor: User | None,
    api_key_id: int | None = None,
    source: str = CreditSource.ISSUED,
    payment: Payment | None = None,
    use_for_autopay: bool = True,
) -> Credit:
    """Issue a credit to ``customer``: against ``invoice`` (applied at once, never above what the
    invoice has left to pay), or as unapplied account credit. ``credit.created`` (and
    ``credit.applied``) webhooks are written in the transaction. Unapplied credit pays Auto Pay's
    scheduled debits first (``credits_use_for_autopay``) unless ``use_for_autopay`` is False (the
    caller holds an invoice's lock: locking others now could break the ledger's lock order)."""
    if customer.biller_id != biller.pk:
        raise CreditError("Choose a customer of yours.", field="customer")
    if amount_cents <= 0:
        raise CreditError("Enter an amount greater than zero.", field="amount")
    reason = _clean_reason(reason)
    locked: Invoice | None = None
    claimed: list[int] = []
    if invoice is None and use_for_autopay:
        # Auto Pay's invoices are locked before the credit counter, as an invoice's are below: every
        # path takes invoices first, then the counter, then credits, then payments.
        claimed = _autopay_claimed(customer.pk)
        lock_invoices(claimed)
    if invoice is not None:
        if invoice.biller_id != biller.pk:
            raise CreditError("Choose an invoice of this customer.", field="invoice")
        locked = lock_invoices([invoice.pk])[invoice.pk]
        _check_invoice(locked, customer_id=customer.pk, cents=0)  # whose and void: before anything changes
        why = f"A credit of {format_cents(amount_cents)} was issued"
        locked = _make_room(locked, amount_cents, actor=actor, reason=why)
        _check_invoice(locked, customer_id=customer.pk, cents=amount_cents)
    credit = Credit.objects.create(
        biller=biller,
        customer=customer,
        number=_take_number(biller.pk),
        amount_cents=amount_cents,
        reason=reason,
        source=source,
        payment=payment,
        created_by=actor,
        api_key_id=api_key_id,
    )
    webhooks_emit(type=EventType.CREDIT_CREATED, ids=[credit.pk], biller_id=biller.pk)
    if locked is not None:
        _apply([(credit, locked, amount_cents)], by=CreditAppliedBy.BILLER, actor=actor, api_key_id=api_key_id)
    elif claimed:
        credits_use_for_autopay(customer_id=customer.pk, invoice_ids=claimed)
    credit.refresh_from_db()
    return credit


@transaction.atomic
def credit_apply(
    *,
    credit: Credit,
    invoice: Invoice,
    amount_cents: int,
    actor: User | None,
    by: str = CreditAppliedBy.BILLER,
    api_key_id: int | None = None,
) -> CreditApplication:
    """Apply part of a credit to one invoice of its customer: never more than is left of the credit,
    nor than the invoice has left to pay."""
    if amount_cents <= 0:
        raise CreditError("Enter an amount greater than zero.", field="amount")
    if invoice.biller_id != credit.biller_id:
        raise CreditError("Choose an invoice of this customer.", field="invoice")
    locked = lock_invoices([invoice.pk])[invoice.pk]
    fresh = lock_credits([credit.pk])[credit.pk]  # after the invoice, before any payment: the ledger's order
    _check_invoice(locked, customer_id=credit.customer_id, cents=0)  # whose and void: before anything changes
    locked = _make_room(locked, amount_cents, actor=actor, reason=f"Credit {credit.number} was applied")
    _check_invoice(locked, customer_id=credit.customer_id, cents=amount_cents)
    if amount_cents > fresh.unapplied_cents:
        raise CreditError(
            f"That is more than the {format_cents(fresh.unapplied_cents)} left of credit {fresh.number}.",
            field="amount",
        )
    [application] = _apply([(fresh, locked, amount_cents)], by=by, actor=actor, api_key_id=api_key_id)
    return application


def _apply(
    parts: Sequence[tuple[Credit, Invoice, int]], *, by: str, actor: User | None, api_key_id: int | None = None
) -> list[CreditApplication]:
    """Write the applications (the invoices and credits locked by the caller), then the amounts they
    change, the invoices' history and the webhooks: ``credit.applied``, and ``invoice.paid`` for an
    invoice the credit pays off."""
    require_transaction("Applying credits")
    if not parts:
        return []
    applications = CreditApplication.objects.bulk_create(
        [
            CreditApplication(credit=credit, invoice=invoice, amount_cents=cents, applied_by=by, actor=actor)
            for credit, invoice, cents in parts
        ]
    )
    refresh_credit_amounts({credit.pk for credit, _, _ in parts})
    refresh_invoice_amounts({invoice.pk for _, invoice, _ in parts}, paid_watch=webhooks_paid_watch)
    InvoiceEvent.objects.bulk_create(
        [
            InvoiceEvent(
                invoice=invoice,
                actor=actor,
                api_key_id=api_key_id,
                kind=InvoiceEvent.Kind.CREDIT_APPLIED,
                data={"credit_id": credit.pk, "credit_number": credit.number, "amount_cents": cents, "by": by},
            )
            for credit, invoice, cents in parts
        ]
    )
    biller_id = parts[0][0].biller_id
    webhooks_emit(type=EventType.CREDIT_APPLIED, ids=[a.pk for a in applications], biller_id=biller_id)
    return applications


def credit_available_cents(customer_id: int) -> int:
    """The customer's unapplied credit."""
    total = Credit.objects.filter(customer_id=customer_id).aggregate(left=Sum(F("amount_cents") - F("applied_cents")))[
        "left"
    ]
    return int(total or 0)


@dataclass(frozen=True)
class Used:
    """What ``credits_use`` applied: cents per invoice id."""

    by_invoice: dict[int, int]

    @property
    def total_cents(self) -> int:
        return sum(self.by_invoice.values())


def credits_use(
    *,
    customer_id: int,
    invoices: Sequence[Payable],
    by: str,
    actor: User | None,
    limit_cents: int | None = None,
) -> Used:
    """Apply the customer's unapplied credits (oldest first) to these invoices of the customer (oldest
    due first), up to each one's amount available to pay and in all up to ``limit_cents``. The caller
    holds the invoices' locks and passes their amounts read under them. One query when the customer
    has no credit left."""
    require_transaction("Using credits")
    open_ids = _open_credits(customer_id)
    if not open_ids:
        return Used({})
    credits = lock_credits(open_ids)
    usable = [Usable(pk, credits[pk].unapplied_cents) for pk in open_ids]
    plan = spread_credits(usable, invoices, limit_cents=limit_cents)
    rows = Invoice.objects.in_bulk([invoice_id for _, invoice_id, _ in plan])
    _apply([(credits[credit_id], rows[invoice_id], cents) for credit_id, invoice_id, cents in plan], by=by, actor=actor)
    return _used(plan)


def _open_credits(customer_id: int) -> list[int]:
    """The customer's credits with something left, oldest first."""
    return list(
        Credit.objects.filter(customer_id=customer_id, applied_cents__lt=F("amount_cents"))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )


def _used(plan: Sequence[tuple[int, int, int]]) -> Used:
    used: dict[int, int] = {}
    for _, invoice_id, cents in plan:
        used[invoice_id] = used.get(invoice_id, 0) + cents
    return Used(used)


def _autopay_claimed(customer_id: int) -> list[int]:
    """The customer's invoices with a debit Auto Pay has scheduled."""
    return list(
        AutoPayClaim.objects.filter(customer_id=customer_id, payment__status=PaymentStatus.SCHEDULED).values_list(
            "invoice_id", flat=True
        )
    )


def credits_use_for_autopay(*, customer_id: int, invoice_ids: Sequence[int] | None = None) -> Used:
    """New account credit pays the invoices Auto Pay has scheduled debits for (of ``invoice_ids``,
    when given: the ones the caller locked), oldest due first: each debit is lowered by the credit
    applied (and withdrawn if the credit covers it all)."""
    require_transaction("Using credits")
    claims = AutoPayClaim.objects.filter(customer_id=customer_id, payment__status=PaymentStatus.SCHEDULED)
    if invoice_ids is not None:
        claims = claims.filter(invoice_id__in=list(invoice_ids))
    claimed = list(
        claims.order_by("invoice__due_date", "invoice_id").values_list("invoice_id", "payment__amount_cents")
    )
    if not claimed or credit_available_cents(customer_id) == 0:
        return Used({})
    invoices = lock_invoices([invoice_id for invoice_id, _ in claimed])
    # What the credit may pay on each: what is left on it, Auto Pay's scheduled part included.
    payables = [
        Payable(pk, invoices[pk].due_date, invoices[pk].available_cents + debit)
        for pk, debit in claimed
        if not invoices[pk].is_void
    ]
    open_ids = _open_credits(customer_id)
    credits = lock_credits(open_ids)
    plan = spread_credits([Usable(pk, credits[pk].unapplied_cents) for pk in open_ids], payables)
    used = _used(plan)
    for invoice_id, cents in used.by_invoice.items():
        extra = cents - invoices[invoice_id].available_cents
        if extra > 0:
            claim_make_room(invoice=invoices[invoice_id], cents=extra, actor=None, reason="Account credit pays it")
    rows = Invoice.objects.in_bulk(list(used.by_invoice))
    _apply(
        [(credits[credit_id], rows[invoice_id], cents) for credit_id, invoice_id, cents in plan],
        by=CreditAppliedBy.AUTOPAY,
        actor=None,
    )
    return used
