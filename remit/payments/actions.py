"""Writes to payments, with their rules: recording money received outside Remit, scheduling a
payment in the portal, cancelling one, and the ACH export's and return import's status changes.

The books' mechanics are the ledger's (``remit.ledger``: locks in one order, the state machine,
allocations, invoice amounts); these actions add who may ask, what may be asked, and what is
reported — webhooks and emails are written in the transaction of the change they report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.billers.selectors import owner_emails
from remit.customers.models import CustomerMembership
from remit.invoices.models import Invoice, InvoiceEvent
from remit.ledger import scheduling
from remit.ledger.balances import refresh_invoice_amounts
from remit.ledger.claims import claim_make_room
from remit.ledger.errors import PaymentError as PaymentError
from remit.ledger.locks import lock_invoice_rows, lock_invoices
from remit.ledger.scheduling import Plan, payments_schedule_many
from remit.ledger.states import move_locked, move_many
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.lib.money import format_cents
from remit.lib.transactions import require_transaction
from remit.notifications.actions import email_send
from remit.payments.allocation import AllocationError, Payable, allocate
from remit.payments.controls import check_new_payment, payment_rules
from remit.payments.credits import credit_issue, credits_use
from remit.payments.dates import pay_on_problem
from remit.payments.disclosure import email_people
from remit.payments.holds import payment_hold_place
from remit.payments.models import (
    Allocation,
    Credit,
    CreditAppliedBy,
    CreditSource,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
)
from remit.payments.receipts import receipts_issue, receipts_withdraw
from remit.payments.selectors import usable_bank_accounts
from remit.payments.validation import first_debit_on, tell_waits_for_verification
from remit.users.models import User
from remit.webhooks.emit import Listeners, webhook_listeners, webhooks_emit, webhooks_paid_watch
from remit.webhooks.models import EventType


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
    """The biller received money outside Remit (a check, a wire): it counts as cleared at once. What
    is above the amount left to pay on the invoice becomes the customer's account credit (an
    *overpayment* credit, ``overpayment_credit``)."""
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
        reason = f"{format_cents(amount_cents)} was received by {PaymentMethod(method).label.lower()}"
        if claim_make_room(invoice=locked, cents=amount_cents - locked.available_cents, actor=actor, reason=reason):
            locked = lock_invoices([invoice.pk])[invoice.pk]
    applied = min(amount_cents, locked.available_cents)
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
    if applied > 0:
        Allocation.objects.create(payment=payment, invoice=locked, amount_cents=applied)
    PaymentEvent.objects.create(
        payment=payment, actor=actor, to_status=PaymentStatus.SETTLED, note=f"Recorded as received by {method}"
    )
    webhooks_emit(type=EventType.PAYMENT_SETTLED, ids=[payment.pk], biller_id=locked.biller_id)
    refresh_invoice_amounts([locked.pk], paid_watch=webhooks_paid_watch)  # invoice.paid, if this pays it in full
    data = {"payment_id": payment.pk, "amount_cents": amount_cents, "method": method}
    if amount_cents > applied:
        # More than was left to pay: the rest is the customer's account credit, not an error.
        credit = credit_issue(
            biller=locked.biller,
            customer=locked.customer,
            amount_cents=amount_cents - applied,
            reason=f"Overpayment of {locked.number}: {format_cents(amount_cents)} received, "
            f"{format_cents(applied)} was left to pay",
            actor=actor,
            source=CreditSource.OVERPAYMENT,
            payment=payment,
            use_for_autopay=False,
        )
        data |= {"credit_id": credit.pk, "credit_number": credit.number, "credit_cents": credit.amount_cents}
    InvoiceEvent.objects.create(invoice=locked, actor=actor, kind=InvoiceEvent.Kind.PAYMENT_RECORDED, data=data)
    # Money the biller already holds is as settled as money gets: the customer gets the same receipt.
    receipts_issue([payment.pk], settled_on=received_on)
    return payment


def overpayment_credit(payment: Payment) -> Credit | None:
    """The credit a payment recorded offline left, when it was more than was owed."""
    return Credit.objects.filter(payment=payment).first()


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
    if not (rules := payment_rules(customer)).accept_ach:
        raise PaymentError(rules.ach_off_message)
    account = usable_bank_accounts(membership).filter(pk=bank_account_id).first()
    if account is None:
        raise PaymentError("Choose a bank account you may pay from, or add one.", field="bank_account")
    biller = customer.biller
    now_local = (now or timezone.now()).astimezone(ZoneInfo(biller.time_zone))
    problem = pay_on_problem(pay_on, now_local=now_local, cutoff=biller.ach_cutoff_time)
    if problem:
        raise PaymentError(problem, field="pay_on")
    # An account not yet validated: the payment is scheduled, but not before its first possible debit.
    requested = pay_on
    if account.debits_from is None or account.debits_from > pay_on:
        pay_on = max(pay_on, first_debit_on(account, biller, now))
    invoices = _locked_payable_invoices(customer.pk, invoice_ids)
    if (existing := _existing(customer.pk, idempotency_key)) is not None:
        return existing  # a twin request finished while we waited for the locks
    try:
        parts = allocate(total_cents, [Payable(i.pk, i.due_date, i.available_cents) for i in invoices])
    except AllocationError as error:
        raise PaymentError(_too_much(error, invoices, total_cents), field="total") from None
    breach = check_new_payment(customer, amount_cents=total_cents, pay_on=pay_on)  # refused, or held below
    plan = Plan(
        biller_id=customer.biller_id,
        customer_id=customer.pk,
        bank_account_id=account.pk,
        pay_on=pay_on,
        parts=parts,
        note=f"Scheduled by {payer.email}",
        created_by_id=payer.pk,
        actor=payer,
        idempotency_key=idempotency_key,
    )
    try:
        [payment] = payments_schedule_many([plan])
    except IntegrityError:
        existing = _existing(customer.pk, idempotency_key)
        if existing is None:
            raise
        return existing  # the twin won the race on the idempotency key
    if breach is not None:
        payment_hold_place(payment=payment, rule_code=breach.code, reason=breach.message)
    webhooks_emit(type=EventType.PAYMENT_SCHEDULED, ids=[payment.pk], biller_id=customer.biller_id)
    _email_scheduled(payment, held=breach is not None)
    if payment.pay_on != requested:
        tell_waits_for_verification([payment.pk])
    return payment


@dataclass(frozen=True)
class Paid:
    """What Pay Outstanding Bills did with **Apply credit**: the credit applied, and the debit
    scheduled for the rest (None when the credit covered everything)."""

    credit_cents: int
    payment: Payment | None


@transaction.atomic
def payment_schedule_applying_credit(
    *,
    payer: User,
    invoice_ids: Sequence[int],
    bank_account_id: int,
    pay_on: date,
    total_cents: int,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Paid:
    """Pay Outstanding Bills with **Apply credit** ticked: the customer's unapplied credit is applied
    to the selected invoices first (oldest due first), then ``total_cents`` — the Total Payment, what
    is left — is scheduled as one debit by ``payment_schedule``; nothing is debited when the credit
    covers everything. Both happen in this one transaction: a refused debit applies no credit."""
    membership = CustomerMembership.objects.select_related("customer").filter(user=payer).first()
    if membership is None:
        raise PaymentError("You don't have access to pay for this account any more.")
    customer = membership.customer
    if (existing := _existing(customer.pk, idempotency_key)) is not None:
        return Paid(0, existing)
    invoices = _locked_payable_invoices(customer.pk, invoice_ids)
    if (existing := _existing(customer.pk, idempotency_key)) is not None:
        return Paid(0, existing)
    payables = [Payable(i.pk, i.due_date, i.available_cents) for i in invoices]
    used = credits_use(customer_id=customer.pk, invoices=payables, by=CreditAppliedBy.PAYER, actor=payer)
    if total_cents == 0:
        if used.total_cents == 0:
            raise PaymentError("The Total Payment must be more than $0.00.", field="total")
        return Paid(used.total_cents, None)
    payment = payment_schedule(
        payer=payer,
        invoice_ids=invoice_ids,
        bank_account_id=bank_account_id,
        pay_on=pay_on,
        total_cents=total_cents,
        idempotency_key=idempotency_key,
        now=now,
    )
    return Paid(used.total_cents, payment)


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


def _email_scheduled(payment: Payment, *, held: bool = False) -> None:
    """The payer's confirmation and the biller's notice (help article: "Your customer will receive
    an email notification confirming they scheduled a payment"), written to the outbox in the
    payment's transaction: a crash after the commit delays them, never loses them."""
    payment = Payment.objects.select_related("customer__biller", "bank_account__added_by", "created_by").get(
        pk=payment.pk
    )
    biller = payment.customer.biller
    context = {
        "payment": payment,
        "customer": payment.customer,
        "allocations": list(payment.allocations.select_related("invoice").order_by("invoice__due_date")),
        "account": payment.bank_account,
        "payments_url": biller.portal_url("payments/"),
        "held": held,
    }
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
    return scheduling.payment_cancel(payment=payment, actor=actor, reason=reason)


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


def payments_mark_sent(payment_ids: Sequence[int], *, note: str, listeners: Listeners | None = None) -> int:
    """ACH export: scheduled → sent, for payments the caller has locked and read as scheduled (their
    money stays pending). All or none: a payment that changed anyway raises ``PaymentError``.
    ``listeners``: the biller's webhook listeners, when the caller read them once for many calls."""
    ids = sorted(set(payment_ids))
    try:
        move_locked(ids, old=PaymentStatus.SCHEDULED, to=PaymentStatus.SENT, note=note)
    except PaymentError:
        raise PaymentError("A payment changed while it was being sent to the bank; nothing was sent.") from None
    webhooks_emit(type=EventType.PAYMENT_SENT, ids=ids, listeners=listeners)
    return len(ids)


def payments_settle(payment_ids: Sequence[int], *, note: str, settled_on: date | None = None) -> int:
    """Sent payments that were not returned in time: settled. Their invoices count them as paid, and
    each payer gets a receipt (``payments.receipts``) dated ``settled_on`` (default: today)."""
    ids = sorted(payment_ids)
    invoice_ids = list(Allocation.objects.filter(payment_id__in=ids).values_list("invoice_id", flat=True))
    lock_invoices(invoice_ids)
    settled = move_many(ids, old=PaymentStatus.SENT, to=PaymentStatus.SETTLED, note=note)
    webhooks_emit(type=EventType.PAYMENT_SETTLED, ids=settled)
    refresh_invoice_amounts(invoice_ids, paid_watch=webhooks_paid_watch)  # invoice.paid for those paid in full
    receipts_issue(settled, settled_on=settled_on)
    return len(settled)


@dataclass(frozen=True)
class Return:
    """The customer's bank returned the debit of ``payment_id``: ``code`` is its R code, ``note`` the
    history's line (it names no account, see ``payments.disclosure``)."""

    payment_id: int
    code: str
    note: str


RETURNABLE = (PaymentStatus.SENT, PaymentStatus.SETTLED)


def payments_return_many(returns: Sequence[Return]) -> list[int]:
    """The customers' banks returned these debits: the money is not coming (or went back), so the
    payments become returned and their invoices reopen. A payment that is no longer sent or settled
    when its lock is taken (returned by another file a moment ago) is left as it is. Returns the ids
    that were returned. Call inside the caller's transaction.

    The locks of the one-payment path, in the same order (every invoice by id, then the payments by
    id), and a fixed number of statements per ``IDS_PER_STATEMENT`` payments, however many: the moves (``move_many``,
    once per old status and return code), the invoices' amounts, and ``payment.returned`` with each
    payment's own code."""
    require_transaction("Returning payments")
    by_id = {r.payment_id: r for r in returns}
    ids = sorted(by_id)
    invoice_ids: list[int] = []
    for chunk in batches(ids, IDS_PER_STATEMENT):
        invoice_ids += Allocation.objects.filter(payment_id__in=chunk).values_list("invoice_id", flat=True)
    lock_invoice_rows(invoice_ids)
    returned: list[int] = []
    biller_ids: set[int] = set()
    for chunk in batches(ids, IDS_PER_STATEMENT):
        locked = Payment.objects.select_for_update().filter(pk__in=chunk, status__in=RETURNABLE).order_by("pk")
        old: dict[str, list[int]] = {}
        for pk, status, biller_id in locked.values_list("pk", "status", "biller_id"):
            old.setdefault(status, []).append(pk)
            biller_ids.add(biller_id)
        for status, these in old.items():
            for note, same_note in _by_note([by_id[pk] for pk in these]).items():
                returned += move_many(same_note, old=PaymentStatus(status), to=PaymentStatus.RETURNED, note=note)
    refresh_invoice_amounts(invoice_ids)
    returned.sort()
    receipts_withdraw({pk: (by_id[pk].code, by_id[pk].note) for pk in returned})
    listeners = webhook_listeners(biller_ids=biller_ids)
    for chunk in batches(returned, IDS_PER_STATEMENT):
        extras = {pk: {"return": {"code": by_id[pk].code, "note": by_id[pk].note}} for pk in chunk}
        webhooks_emit(type=EventType.PAYMENT_RETURNED, ids=chunk, listeners=listeners, extras=extras)
    return returned


def _by_note(returns: list[Return]) -> dict[str, list[int]]:
    """Payments grouped by their history's note (one per return code), for ``move_many``."""
    grouped: dict[str, list[int]] = {}
    for item in returns:
        grouped.setdefault(item.note, []).append(item.payment_id)
    return grouped
