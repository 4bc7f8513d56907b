"""The mechanics of scheduled payments: writing them (``payments_schedule_many``, for a person in the
portal and for Auto Pay alike), changing one while it is still scheduled (``payment_adjust``: its
part of some invoices, its Pay On date, its bank account), cancelling one (``payment_cancel``), and
taking an invoice out of every scheduled payment (``release_invoice``).

The rules of *who* may do this and *what* may be asked (the Pay On calendar, usable bank accounts,
the allocation across invoices, Auto Pay's settings) are the callers'; these functions keep the books
right: allocations, events, Auto Pay claims and the invoices' amounts, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from remit.ledger.balances import refresh_invoice_amounts
from remit.ledger.errors import PaymentError
from remit.ledger.locks import lock_invoices, lock_payment
from remit.ledger.models import (
    Allocation,
    AutoPayClaim,
    BankAccount,
    Invoice,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
)
from remit.ledger.states import move
from remit.lib.money import format_cents
from remit.lib.transactions import require_transaction
from remit.users.models import User


@dataclass(frozen=True)
class ClaimTerms:
    """What Auto Pay records with a payment it plans: the settings version it planned under, and
    what it leaves to pay by hand (the invoice is above the maximum)."""

    settings_version: int
    left_to_pay_cents: int


@dataclass(frozen=True)
class Plan:
    """One ACH debit to schedule: from which account, when, and how much of which invoices."""

    biller_id: int
    customer_id: int
    bank_account_id: int
    pay_on: date
    parts: Sequence[tuple[int, int]]  # (invoice id, cents), each > 0
    note: str  # the first history line, e.g. "Scheduled by ap@globex.example"
    created_by_id: int | None = None
    actor: User | None = None  # who the history names (None: Auto Pay itself)
    idempotency_key: str | None = None
    autopay: ClaimTerms | None = None  # Auto Pay's payment: one claim per invoice, ever
    retry_of_id: int | None = None  # a retry of a returned payment: the chain's original payment

    @property
    def amount_cents(self) -> int:
        return sum(cents for _, cents in self.parts)


def payments_schedule_many(plans: Sequence[Plan], *, now: datetime | None = None) -> list[Payment]:
    """Write the payments, their allocations, their first events and (for Auto Pay) their claims,
    a handful of bulk statements however many; then the invoices' amounts. Call with the invoices
    locked and their available amounts checked: the database refuses an over-allocation, a second
    claim on an invoice and a repeated idempotency key (``IntegrityError``, for the caller to handle)."""
    require_transaction("Scheduling payments")
    if not plans:
        return []
    created_at = now or timezone.now()
    payments = [
        Payment(
            biller_id=plan.biller_id,
            customer_id=plan.customer_id,
            method=PaymentMethod.ACH,
            status=PaymentStatus.SCHEDULED,
            amount_cents=plan.amount_cents,
            pay_on=plan.pay_on,
            bank_account_id=plan.bank_account_id,
            idempotency_key=plan.idempotency_key,
            is_autopay=plan.autopay is not None,
            retry_of_id=plan.retry_of_id,
            created_by_id=plan.created_by_id,
            created_at=created_at,
        )
        for plan in plans
    ]
    with transaction.atomic():  # a savepoint: a refused key or claim leaves the caller's transaction usable
        Payment.objects.bulk_create(payments)
        Allocation.objects.bulk_create(
            Allocation(payment_id=payment.pk, invoice_id=invoice_id, amount_cents=cents)
            for payment, plan in zip(payments, plans, strict=True)
            for invoice_id, cents in plan.parts
        )
        PaymentEvent.objects.bulk_create(
            PaymentEvent(payment_id=payment.pk, actor=plan.actor, to_status=PaymentStatus.SCHEDULED, note=plan.note)
            for payment, plan in zip(payments, plans, strict=True)
        )
        AutoPayClaim.objects.bulk_create(
            AutoPayClaim(
                invoice_id=plan.parts[0][0],
                customer_id=plan.customer_id,
                payment_id=payment.pk,
                settings_version=plan.autopay.settings_version,
                left_to_pay_cents=plan.autopay.left_to_pay_cents,
                created_at=created_at,
            )
            for payment, plan in zip(payments, plans, strict=True)
            if plan.autopay is not None
        )
    refresh_invoice_amounts(invoice_id for plan in plans for invoice_id, _ in plan.parts)
    return payments


def payment_adjust(
    *,
    payment: Payment,
    actor: User | None,
    note: str,
    invoice_cents: dict[int, int] | None = None,
    pay_on: date | None = None,
    bank_account: BankAccount | None = None,
    api_key_id: int | None = None,
) -> Payment:
    """Change a payment that is still *scheduled*: its part of some invoices (0 takes the invoice out),
    its Pay On date, its bank account. A payment left with nothing is cancelled. Every change is one
    history line. Call inside the caller's transaction with the invoices of ``invoice_cents`` locked;
    their amounts are refreshed here. ``api_key_id``: the API key whose request this follows from,
    kept in the history. This is the only place a scheduled payment changes."""
    payment = lock_payment(payment.pk)
    if payment.status != PaymentStatus.SCHEDULED:
        raise PaymentError(f"This payment is {payment.get_status_display().lower()}; it can no longer change.")
    touched, changes = _reallocate(payment, invoice_cents or {})
    amount = payment.allocations.aggregate(total=Sum("amount_cents"))["total"] or 0
    if amount == 0:
        move(payment, PaymentStatus.CANCELLED, actor=actor, note=note, api_key_id=api_key_id)
        refresh_invoice_amounts(touched)
        return payment
    fields: dict[str, object] = {}
    if amount != payment.amount_cents:
        fields["amount_cents"] = amount
    if pay_on is not None and pay_on != payment.pay_on:
        fields["pay_on"] = pay_on
        changes.append(f"Pay On {payment.pay_on:%b %-d, %Y} → {pay_on:%b %-d, %Y}")
    if bank_account is not None and bank_account.pk != payment.bank_account_id:
        fields["bank_account"] = bank_account
        changes.append("bank account changed")  # history names no account: see payments.disclosure
    if fields or touched:
        Payment.objects.filter(pk=payment.pk).update(**fields)
        for name, value in fields.items():
            setattr(payment, name, value)
        PaymentEvent.objects.create(
            payment=payment,
            actor=actor,
            api_key_id=api_key_id,
            from_status=payment.status,
            to_status=payment.status,
            note=f"{note}: {'; '.join(changes)}"[:500],
        )
        refresh_invoice_amounts(touched)
    return payment


def _reallocate(payment: Payment, invoice_cents: dict[int, int]) -> tuple[list[int], list[str]]:
    """Set the payment's part of each invoice of ``invoice_cents``. Returns the invoices whose part
    changed and a description of each change."""
    touched: list[int] = []
    changes: list[str] = []
    numbers = dict(Invoice.objects.filter(pk__in=list(invoice_cents)).values_list("pk", "number"))
    for invoice_id, cents in invoice_cents.items():
        allocation = payment.allocations.filter(invoice_id=invoice_id).first()
        old = allocation.amount_cents if allocation else 0
        if old == cents:
            continue
        touched.append(invoice_id)
        if cents == 0 and allocation is not None:
            allocation.delete()
        elif allocation is not None:
            Allocation.objects.filter(pk=allocation.pk).update(amount_cents=cents)
        else:
            Allocation.objects.create(payment=payment, invoice_id=invoice_id, amount_cents=cents)
        changes.append(f"{format_cents(old)} → {format_cents(cents)} for invoice {numbers.get(invoice_id, invoice_id)}")
    return touched, changes


def payment_cancel(*, payment: Payment, actor: User | None, reason: str) -> Payment:
    """Cancel a payment that is scheduled and not yet sent to the bank; its invoices reopen. Locks in
    the ledger's order (its invoices, then the payment); call inside the caller's transaction."""
    invoice_ids = list(Allocation.objects.filter(payment_id=payment.pk).values_list("invoice_id", flat=True))
    lock_invoices(invoice_ids)
    payment = lock_payment(payment.pk)
    if payment.status != PaymentStatus.SCHEDULED:
        raise PaymentError(
            f"This payment is {payment.get_status_display().lower()}; only a scheduled payment can be cancelled."
        )
    move(payment, PaymentStatus.CANCELLED, actor=actor, note=reason)
    refresh_invoice_amounts(invoice_ids)
    return payment


def release_invoice(*, invoice: Invoice, actor: User | None, reason: str, api_key_id: int | None = None) -> int:
    """Take ``invoice`` out of every payment that is scheduled and not yet sent to the bank.

    A payment that paid only this invoice is cancelled; one that also paid others is reduced by this
    invoice's part. Returns the cents released. Call with the invoice locked.
    """
    released = 0
    allocations = Allocation.objects.filter(invoice=invoice, payment__status=PaymentStatus.SCHEDULED)
    for payment_id, cents in list(allocations.values_list("payment_id", "amount_cents")):
        payment_adjust(
            payment=Payment(pk=payment_id),
            actor=actor,
            note=reason,
            invoice_cents={invoice.pk: 0},
            api_key_id=api_key_id,
        )
        released += cents
    refresh_invoice_amounts([invoice.pk])
    return released
