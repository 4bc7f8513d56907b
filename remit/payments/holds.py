"""Payments held for review: a rule (a customer's limit, or a fraud rule) holds a scheduled payment,
and it goes in no ACH file (``ach.export.due_payments``) until someone on the biller's team decides.
Approved, it goes in the next file; rejected, it is cancelled and the customer told why. A payment
still undecided at the cut-off of its file moves to the next banking day (``ach.export``, at export).

One action writes holds (``payment_hold_place``) and one decides them (``payment_hold_decide``); each
leaves a line in the payment's history. Owners and staff may decide: reviewing is the team's daily
work, and each decision names who made it and why."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from remit.billers.models import Biller, Membership
from remit.ledger.errors import PaymentError
from remit.ledger.locks import lock_payment
from remit.ledger.scheduling import payment_cancel
from remit.lib.bulk import require_ids
from remit.lib.errors import NotPermitted
from remit.lib.transactions import require_transaction
from remit.payments.disclosure import email_people, payment_people
from remit.payments.models import HoldDecision, Payment, PaymentEvent, PaymentHold, PaymentStatus
from remit.users.models import User
from remit.webhooks.emit import webhooks_emit
from remit.webhooks.models import EventType
from remit.webhooks.payloads import instant


class HoldError(PaymentError):
    pass


def payment_hold_place(*, payment: Payment, rule_code: str, reason: str) -> PaymentHold:
    """Hold a scheduled payment for review, in the transaction that scheduled it (or found it risky)."""
    [hold] = payment_holds_place_many(biller_id=payment.biller_id, holds=[(payment.pk, rule_code, reason)])
    return hold


def payment_holds_place_many(*, biller_id: int, holds: Sequence[tuple[int, str, str]]) -> list[PaymentHold]:
    """Hold scheduled payments of one biller for review, each ``(payment id, rule code, reason)``, in a
    few statements: the holds, a "Held for review" event each (the reason stays the biller's: a fraud
    rule's must not be told) and the ``payment.held`` webhooks. The caller has read the payments as
    scheduled and without a hold, inside its transaction."""
    require_transaction("Holding payments")
    now = timezone.now()
    placed = PaymentHold.objects.bulk_create(
        PaymentHold(payment_id=payment_id, rule_code=code, reason=reason[:1000], created_at=now)
        for payment_id, code, reason in holds
    )
    require_ids(placed)  # the webhooks carry each hold's id
    PaymentEvent.objects.bulk_create(
        PaymentEvent(
            payment_id=payment_id,
            actor=None,
            from_status=PaymentStatus.SCHEDULED,
            to_status=PaymentStatus.SCHEDULED,
            note="Held for review",
            created_at=now,
        )
        for payment_id, _, _ in holds
    )
    webhooks_emit(
        type=EventType.PAYMENT_HELD,
        ids=[hold.payment_id for hold in placed],
        biller_id=biller_id,
        extras={hold.payment_id: _hold_data(hold) for hold in placed},
    )
    return placed


def _hold_data(hold: PaymentHold) -> dict[str, object]:
    """What the ``payment.held``, ``payment.approved`` and ``payment.rejected`` events add: the hold."""
    return {
        "hold": {
            "id": hold.pk,
            "rule_code": hold.rule_code,
            "reason": hold.reason,
            "created_at": instant(hold.created_at),
            "decision": hold.decision or None,
            "decision_reason": hold.decision_reason or None,
            "decided_at": instant(hold.decided_at),
            "decided_by": hold.decided_by_email or None,
        }
    }


def held_payments(biller: Biller) -> QuerySet[PaymentHold]:
    """The biller's Review queue: undecided holds of scheduled payments, oldest first."""
    return (
        PaymentHold.objects.filter(
            payment__biller=biller, decided_at__isnull=True, payment__status=PaymentStatus.SCHEDULED
        )
        .select_related("payment__customer", "payment__bank_account")
        .order_by("payment__pay_on", "created_at", "pk")
    )


def is_held(payment: Payment) -> bool:
    return PaymentHold.objects.filter(payment=payment, decided_at__isnull=True).exists()


@transaction.atomic
def payment_hold_decide(*, hold: PaymentHold, actor: User, decision: str, reason: str) -> PaymentHold:
    """Approve or reject a held payment, with a reason. Rejected, the payment is cancelled (its
    invoices reopen) and the customer emailed the reason."""
    if not Membership.objects.filter(biller_id=hold.payment.biller_id, user=actor).exists():
        raise NotPermitted("Only the business's team can review its payments.")
    if decision not in HoldDecision.values:
        raise HoldError("Choose Approve or Reject.", field="decision")
    reason = reason.strip()
    if not reason:
        raise HoldError("Give a reason for the decision; it is kept with the payment.", field="reason")
    payment = lock_payment(hold.payment_id)
    hold = PaymentHold.objects.select_for_update().get(pk=hold.pk)
    if hold.decided_at is not None:
        raise HoldError(f"This payment was already {hold.get_decision_display().lower()} by {hold.decided_by_email}.")
    if payment.status != PaymentStatus.SCHEDULED:
        raise HoldError(f"This payment is {payment.get_status_display().lower()}; there is nothing to decide.")
    hold.decided_at, hold.decided_by, hold.decided_by_email = timezone.now(), actor, actor.email
    hold.decision, hold.decision_reason = decision, reason[:300]
    hold.save()
    if decision == HoldDecision.REJECTED:
        payment_cancel(payment=payment, actor=actor, reason=f"Rejected in review: {reason}"[:500])
        _email_rejected(payment, reason)
        webhooks_emit(
            type=EventType.PAYMENT_REJECTED, ids=[payment.pk], biller_id=payment.biller_id, extra=_hold_data(hold)
        )
    else:
        PaymentEvent.objects.create(
            payment=payment,
            actor=actor,
            from_status=PaymentStatus.SCHEDULED,
            to_status=PaymentStatus.SCHEDULED,
            note="Approved in review",  # the reason is kept with the hold
        )
        webhooks_emit(
            type=EventType.PAYMENT_APPROVED, ids=[payment.pk], biller_id=payment.biller_id, extra=_hold_data(hold)
        )
    return hold


def _email_rejected(payment: Payment, reason: str) -> None:
    payment = Payment.objects.select_related("customer__biller", "bank_account__added_by", "created_by").get(
        pk=payment.pk
    )
    biller = payment.customer.biller
    email_people(
        people=payment_people(payment),
        accounts=[payment.bank_account],
        template="payment_rejected",
        biller=biller,
        context={
            "payment": payment,
            "customer": payment.customer,
            "account": payment.bank_account,
            "reason": reason,
            "payments_url": biller.portal_url(f"payments/{payment.pk}/"),
        },
    )
