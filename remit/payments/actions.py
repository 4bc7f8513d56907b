"""Writes to payments. Every status change goes through ``_move`` (one transition, one event row)
and every change to money on invoices ends with ``refresh_invoice_amounts`` in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from remit.customers.models import Customer, CustomerMembership
from remit.invoices.actions import lock_invoices, refresh_invoice_amounts
from remit.invoices.models import Invoice, InvoiceEvent
from remit.lib.errors import ActionError
from remit.lib.money import format_cents
from remit.notifications.actions import email_send
from remit.payments.allocation import AllocationError, Payable, allocate
from remit.payments.dates import pay_on_problem
from remit.payments.disclosure import email_people
from remit.payments.models import Allocation, BankAccount, Payment, PaymentEvent, PaymentMethod, PaymentStatus
from remit.payments.selectors import usable_bank_accounts
from remit.users.models import User
from remit.webhooks.actions import webhooks_emit
from remit.webhooks.models import EventType


class PaymentError(ActionError):
    pass


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
        from remit.autopay.actions import autopay_make_room

        reason = f"{format_cents(amount_cents)} was received by {PaymentMethod(method).label.lower()}"
        if autopay_make_room(invoice=locked, cents=amount_cents - locked.available_cents, actor=actor, reason=reason):
            locked = lock_invoices([invoice.pk])[invoice.pk]
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
    webhooks_emit(type=EventType.PAYMENT_SETTLED, ids=[payment.pk], biller_id=locked.biller_id)
    refresh_invoice_amounts([locked.pk], clears_money=True)  # invoice.paid, if this pays it in full
    InvoiceEvent.objects.create(
        invoice=locked,
        actor=actor,
        kind=InvoiceEvent.Kind.PAYMENT_RECORDED,
        data={"payment_id": payment.pk, "amount_cents": amount_cents, "method": method},
    )
    return payment


def _existing(customer_id: int, idempotency_key: str | None) -> Payment | None:
    if not idempotency_key:
        return None
    return Payment.objects.filter(customer_id=customer_id, idempotency_key=idempotency_key).first()


@transaction.atomic
def payment_schedule(
    *,
    payer: User,
    invoice_ids: Sequence[int],
    bank_account_id: int,
    pay_on: date,
    total_cents: int,
    idempotency_key: str | None = None,
    is_autopay: bool = False,
    now: datetime | None = None,
) -> Payment:
    """Schedule one ACH debit of ``total_cents`` on ``pay_on`` from a bank account the payer may use,
    split across the selected invoices, oldest due date first (help article, steps 8–10).

    Never more than is available: the invoices are locked, their amounts re-read under the lock, and
    the database refuses any over-allocation. The same ``idempotency_key`` (a double click, a
    re-submitted form) returns the first payment instead of making a second.
    """
    membership = CustomerMembership.objects.select_related("customer__biller").filter(user=payer).first()
    if membership is None:
        raise PaymentError("You don't have access to pay for this account any more.")
    customer = membership.customer
    if (existing := _existing(customer.pk, idempotency_key)) is not None:
        return existing
    account = usable_bank_accounts(membership).filter(pk=bank_account_id).first()
    if account is None:
        raise PaymentError("Choose a bank account you may pay from, or add one.", field="bank_account")
    biller = customer.biller
    now_local = (now or timezone.now()).astimezone(ZoneInfo(biller.time_zone))
    problem = pay_on_problem(pay_on, now_local=now_local, cutoff=biller.ach_cutoff_time)
    if problem:
        raise PaymentError(problem, field="pay_on")
    invoices = _locked_payable_invoices(customer.pk, invoice_ids)
    if (existing := _existing(customer.pk, idempotency_key)) is not None:
        return existing  # a twin request finished while we waited for the locks
    try:
        parts = allocate(total_cents, [Payable(i.pk, i.due_date, i.available_cents) for i in invoices])
    except AllocationError as error:
        raise PaymentError(_too_much(error, invoices, total_cents), field="total") from None
    payment = _create_scheduled(
        customer=customer,
        payer=payer,
        account=account,
        pay_on=pay_on,
        parts=parts,
        idempotency_key=idempotency_key,
        is_autopay=is_autopay,
    )
    if payment.allocations.count() == 0:  # the twin won the race on the idempotency key
        return payment
    refresh_invoice_amounts([invoice_id for invoice_id, _ in parts])
    webhooks_emit(type=EventType.PAYMENT_SCHEDULED, ids=[payment.pk], biller_id=customer.biller_id)
    transaction.on_commit(lambda: _send_scheduled_emails(payment.pk))
    return payment


def _locked_payable_invoices(customer_id: int, invoice_ids: Sequence[int]) -> list[Invoice]:
    if not invoice_ids:
        raise PaymentError("Select at least one invoice to pay.", field="invoices")
    locked = lock_invoices(invoice_ids)
    invoices = [locked[i] for i in sorted(set(invoice_ids)) if i in locked]
    if len(invoices) != len(set(invoice_ids)) or any(invoice.customer_id != customer_id for invoice in invoices):
        raise PaymentError("One of the selected invoices is not yours to pay. Reload the page.", field="invoices")
    if void := [invoice.number for invoice in invoices if invoice.is_void]:
        raise PaymentError(f"Invoice {', '.join(void)} was voided; there is nothing to pay on it.", field="invoices")
    return invoices


def _too_much(error: AllocationError, invoices: list[Invoice], total_cents: int) -> str:
    available = sum(invoice.available_cents for invoice in invoices)
    if total_cents <= 0:
        return str(error)
    if available == 0:
        return "The selected invoices are already paid or scheduled. Nothing is left to pay on them."
    return (
        f"The Total Payment can't be more than {format_cents(available)}, what is left to pay on the selected invoices."
    )


def _create_scheduled(
    *,
    customer: Customer,
    payer: User,
    account: BankAccount,
    pay_on: date,
    parts: list[tuple[int, int]],
    idempotency_key: str | None,
    is_autopay: bool,
) -> Payment:
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                biller_id=customer.biller_id,
                customer=customer,
                method=PaymentMethod.ACH,
                status=PaymentStatus.SCHEDULED,
                amount_cents=sum(cents for _, cents in parts),
                pay_on=pay_on,
                bank_account=account,
                idempotency_key=idempotency_key,
                is_autopay=is_autopay,
                created_by=payer,
            )
    except IntegrityError:
        existing = _existing(customer.pk, idempotency_key)
        if existing is None:
            raise
        return existing
    Allocation.objects.bulk_create(
        Allocation(payment=payment, invoice_id=invoice_id, amount_cents=cents) for invoice_id, cents in parts
    )
    note = "Scheduled by AutoPay" if is_autopay else f"Scheduled by {payer.email}"
    PaymentEvent.objects.create(payment=payment, actor=payer, to_status=PaymentStatus.SCHEDULED, note=note)
    return payment


def _send_scheduled_emails(payment_id: int) -> None:
    """The payer's confirmation and the biller's notice (help article: "Your customer will receive
    an email notification confirming they scheduled a payment")."""
    from remit.billers.selectors import owner_emails

    payment = Payment.objects.select_related("customer__biller", "bank_account__added_by", "created_by").get(
        pk=payment_id
    )
    biller = payment.customer.biller
    context = {
        "payment": payment,
        "customer": payment.customer,
        "allocations": list(payment.allocations.select_related("invoice").order_by("invoice__due_date")),
        "account": payment.bank_account,
        "payments_url": biller.portal_url("payments/"),
    }
    with transaction.atomic():
        if payment.created_by is not None:
            email_people(
                people=[payment.created_by],
                accounts=[payment.bank_account],
                template="payment_scheduled",
                biller=biller,
                context=context,
            )
        owners = owner_emails(biller.pk)
        if owners:
            console_url = f"{settings.REMIT_BASE_URL}/console/{biller.slug}/payments/"
            email_send(
                to=owners,
                template="payment_scheduled_biller",
                biller=biller,
                context={**context, "console_url": console_url},
            )


@transaction.atomic
def payment_cancel(*, payment: Payment, actor: User | None, reason: str) -> Payment:
    """Cancel a payment that is scheduled and not yet sent to the bank; its invoices reopen."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.SCHEDULED:
        raise PaymentError(
            f"This payment is {payment.get_status_display().lower()}; only a scheduled payment can be cancelled."
        )
    invoice_ids = list(payment.allocations.values_list("invoice_id", flat=True))
    lock_invoices(invoice_ids)
    _move(payment, PaymentStatus.CANCELLED, actor=actor, note=reason)
    refresh_invoice_amounts(invoice_ids)
    return payment


def may_cancel(membership: CustomerMembership, payment: Payment) -> bool:
    """Who may call off a scheduled payment in the portal: the person who scheduled it or an admin of
    the account; an Auto Pay payment only an admin (who skips it, see ``autopay_skip``)."""
    if payment.status != PaymentStatus.SCHEDULED or payment.customer_id != membership.customer_id:
        return False
    return membership.is_admin or (not payment.is_autopay and payment.created_by_id == membership.user_id)


def payment_cancel_by_member(*, membership: CustomerMembership, payment: Payment) -> Payment:
    """A portal user cancels a payment they scheduled (or, as an admin, anyone's on the account)."""
    if payment.is_autopay:
        raise PaymentError("This is an Auto Pay payment: an admin can skip it.")
    if payment.status == PaymentStatus.SCHEDULED and not may_cancel(membership, payment):
        raise PaymentError("Only the person who scheduled this payment, or an admin, can cancel it.")
    return payment_cancel(payment=payment, actor=membership.user, reason="Cancelled in the portal")


def payment_adjust(
    *,
    payment: Payment,
    actor: User | None,
    note: str,
    invoice_cents: dict[int, int] | None = None,
    pay_on: date | None = None,
    bank_account: BankAccount | None = None,
) -> Payment:
    """Change a payment that is still *scheduled*: its part of some invoices (0 takes the invoice out),
    its Pay On date, its bank account. A payment left with nothing is cancelled. Call inside the
    caller's transaction with the invoices locked; the invoices' amounts are refreshed here."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.SCHEDULED:
        raise PaymentError(f"This payment is {payment.get_status_display().lower()}; it can no longer change.")
    changes: list[str] = []
    touched: list[int] = []
    numbers = dict(Invoice.objects.filter(pk__in=list(invoice_cents or {})).values_list("pk", "number"))
    for invoice_id, cents in (invoice_cents or {}).items():
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
    amount = payment.allocations.aggregate(total=Sum("amount_cents"))["total"] or 0
    if amount == 0:
        _move(payment, PaymentStatus.CANCELLED, actor=actor, note=note)
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
            from_status=payment.status,
            to_status=payment.status,
            note=f"{note}: {'; '.join(changes)}"[:500],
        )
        refresh_invoice_amounts(touched)
    return payment


def payments_release_invoice(*, invoice: Invoice, actor: User | None, reason: str) -> int:
    """Take ``invoice`` out of every payment that is scheduled and not yet sent to the bank.

    A payment that paid only this invoice is cancelled; one that also paid others is reduced by
    this invoice's part. Returns the cents released. Call inside the caller's transaction, with
    the invoice locked.
    """
    released = 0
    allocations = Allocation.objects.filter(invoice=invoice, payment__status=PaymentStatus.SCHEDULED)
    for payment_id, cents in list(allocations.values_list("payment_id", "amount_cents")):
        payment_adjust(payment=Payment(pk=payment_id), actor=actor, note=reason, invoice_cents={invoice.pk: 0})
        released += cents
    refresh_invoice_amounts([invoice.pk])
    return released


def payments_mark_sent(payment_ids: Sequence[int], *, note: str) -> int:
    """ACH export: scheduled → sent, for payments the caller has locked (their money stays pending)."""
    ids = list(payment_ids)
    changed = Payment.objects.filter(pk__in=ids, status=PaymentStatus.SCHEDULED).update(status=PaymentStatus.SENT)
    if changed != len(ids):
        raise PaymentError("A payment changed while it was being sent to the bank; nothing was sent.")
    PaymentEvent.objects.bulk_create(
        PaymentEvent(payment_id=pk, from_status=PaymentStatus.SCHEDULED, to_status=PaymentStatus.SENT, note=note)
        for pk in ids
    )
    webhooks_emit(type=EventType.PAYMENT_SENT, ids=ids)
    return changed


def payments_settle(payment_ids: Sequence[int], *, note: str) -> int:
    """Sent payments that were not returned in time: settled. Their invoices count them as paid."""
    ids = sorted(payment_ids)
    invoice_ids = list(Allocation.objects.filter(payment_id__in=ids).values_list("invoice_id", flat=True))
    lock_invoices(invoice_ids)
    settled = list(
        Payment.objects.select_for_update().filter(pk__in=ids, status=PaymentStatus.SENT).values_list("pk", flat=True)
    )
    Payment.objects.filter(pk__in=settled).update(status=PaymentStatus.SETTLED)
    PaymentEvent.objects.bulk_create(
        PaymentEvent(payment_id=pk, from_status=PaymentStatus.SENT, to_status=PaymentStatus.SETTLED, note=note)
        for pk in settled
    )
    webhooks_emit(type=EventType.PAYMENT_SETTLED, ids=settled)
    refresh_invoice_amounts(invoice_ids, clears_money=True)  # invoice.paid for those now paid in full
    return len(settled)


def payment_return(*, payment: Payment, note: str, return_code: str = "") -> Payment:
    """The customer's bank returned the debit: the money is not coming (or went back); the invoices
    reopen. Call inside the caller's transaction. ``return_code``: the bank's R code, for webhooks."""
    invoice_ids = list(payment.allocations.values_list("invoice_id", flat=True))
    lock_invoices(invoice_ids)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    _move(payment, PaymentStatus.RETURNED, actor=None, note=note)
    refresh_invoice_amounts(invoice_ids)
    returned = {"return": {"code": return_code, "note": note}}
    webhooks_emit(type=EventType.PAYMENT_RETURNED, ids=[payment.pk], biller_id=payment.biller_id, extra=returned)
    return payment
