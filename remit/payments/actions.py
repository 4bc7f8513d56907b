"""Writes to payments. Every status change goes through ``_move`` (one transition, one event row)
and every change to money on invoices ends with ``refresh_invoice_amounts`` in the same transaction."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from remit.invoices.actions import lock_invoices, refresh_invoice_amounts
from remit.invoices.models import Invoice, InvoiceEvent
from remit.lib.money import format_cents
from remit.payments.models import Allocation, Payment, PaymentEvent, PaymentMethod, PaymentStatus
from remit.users.models import User


class PaymentError(ValueError):
    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _move(payment: Payment, to: PaymentStatus, *, actor: User | None, note: str = "") -> None:
    """Change a payment's status if, and only if, it is still in the status we read."""
    old = PaymentStatus(payment.status)
    if to not in Payment.TRANSITIONS[old]:
        raise PaymentError(f"A {old.label.lower()} payment can't become {to.label.lower()}.")
    changed = Payment.objects.filter(pk=payment.pk, status=old).update(status=to)
    if changed != 1:
        raise PaymentError("This payment changed a moment ago. Reload the page and try again.")
    payment.status = to
    PaymentEvent.objects.create(payment=payment, actor=actor, from_status=old, to_status=to, note=note[:500])


@transaction.atomic
def payment_record_offline(
    *,
    invoice: Invoice,
    actor: User | None,
    amount_cents: int,
    method: str,
    received_on: date,
    reference: str = "",
) -> Payment:
    """The biller received money outside Remit (a check, a wire): it counts as cleared at once."""
    if method == PaymentMethod.ACH or method not in PaymentMethod.values:
        raise PaymentError("Choose how the money was received: check, wire transfer, cash or other.", field="method")
    if received_on > timezone.localdate():
        raise PaymentError("The date received can't be in the future.", field="received_on")
    locked = lock_invoices([invoice.pk])[invoice.pk]
    if locked.is_void:
        raise PaymentError("This invoice is void.")
    if amount_cents <= 0:
        raise PaymentError("Enter an amount greater than zero.", field="amount")
    if amount_cents > locked.available_cents:
        raise PaymentError(
            f"That is more than the {format_cents(locked.available_cents)} still to pay on {locked.number}.",
            field="amount",
        )
    payment = Payment.objects.create(
        biller_id=locked.biller_id,
        customer_id=locked.customer_id,
        method=method,
        status=PaymentStatus.SETTLED,
        amount_cents=amount_cents,
        pay_on=received_on,
        reference=reference.strip()[:100],
        created_by=actor,
    )
    Allocation.objects.create(payment=payment, invoice=locked, amount_cents=amount_cents)
    PaymentEvent.objects.create(
        payment=payment, actor=actor, to_status=PaymentStatus.SETTLED, note=f"Recorded as received by {method}"
    )
    refresh_invoice_amounts([locked.pk])
    InvoiceEvent.objects.create(
        invoice=locked,
        actor=actor,
        kind=InvoiceEvent.Kind.PAYMENT_RECORDED,
        data={"payment_id": payment.pk, "amount_cents": amount_cents, "method": method},
    )
    return payment


def payments_release_invoice(*, invoice: Invoice, actor: User | None, reason: str) -> int:
    """Take ``invoice`` out of every payment that is scheduled and not yet sent to the bank.

    A payment that paid only this invoice is cancelled; one that also paid others is reduced by
    this invoice's part. Returns the cents released. Call inside the caller's transaction, with
    the invoice locked.
    """
    released = 0
    allocations = Allocation.objects.select_related("payment").filter(
        invoice=invoice, payment__status=PaymentStatus.SCHEDULED
    )
    for allocation in allocations.select_for_update(of=("payment",)) if _supports_of() else allocations:
        payment = allocation.payment
        released += allocation.amount_cents
        if payment.amount_cents == allocation.amount_cents:
            _move(payment, PaymentStatus.CANCELLED, actor=actor, note=reason)
        else:
            Payment.objects.filter(pk=payment.pk).update(amount_cents=payment.amount_cents - allocation.amount_cents)
            allocation.delete()
            PaymentEvent.objects.create(
                payment=payment,
                actor=actor,
                from_status=payment.status,
                to_status=payment.status,
                note=f"{reason}: {format_cents(allocation.amount_cents)} for it was taken out of this payment",
            )
    refresh_invoice_amounts([invoice.pk])
    return released


def _supports_of() -> bool:
    from django.db import connection

    return connection.features.has_select_for_update_of
