"""Every write Auto Pay makes: its settings (``autopay_save``), the engine that schedules and
re-plans its payments (``autopay_run``), skipping a payment, making room on an invoice, and turning
it off when its bank account goes away.

The engine is one action that every trigger calls: an invoice created or changed, Auto Pay saved,
and the worker's periodic sweep. It works in batches; each batch locks its invoices (id order, the
same as a manual payment, so the two never deadlock), re-reads them under the lock, and writes the
payments, their allocations and one ``AutoPayClaim`` per invoice. The claim's unique invoice makes a
second Auto Pay payment for an invoice impossible, whatever runs at the same time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from remit.autopay.models import MAX_DAYS, AutoPay, AutoPayChange, AutoPayClaim, When
from remit.autopay.rules import Split, autopay_pay_on, split
from remit.billers.models import Biller
from remit.billers.selectors import owner_emails
from remit.customers.models import Customer, CustomerMembership
from remit.customers.selectors import admins
from remit.invoices.actions import lock_invoices, refresh_invoice_amounts
from remit.invoices.amounts import available_sql
from remit.invoices.models import Invoice
from remit.lib.tasks import hand_to_worker
from remit.notifications.actions import email_send
from remit.payments.actions import PaymentError, payment_adjust, payment_cancel
from remit.payments.dates import earliest_pay_on, latest_pay_on
from remit.payments.disclosure import email_people
from remit.payments.models import (
    IN_FLIGHT,
    Allocation,
    BankAccount,
    BankAccountStatus,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
)
from remit.payments.selectors import usable_bank_accounts
from remit.users.models import User
from remit.webhooks.actions import webhook_listeners, webhooks_emit
from remit.webhooks.models import EventType

logger = logging.getLogger(__name__)
BATCH = 500


class AutoPayError(ValueError):
    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


# --- Settings ------------------------------------------------------------------------------------


def autopay_of(customer: Customer) -> AutoPay:
    """The customer's setting, off until someone turns it on (not saved until then)."""
    return AutoPay.objects.select_related("bank_account__added_by").filter(customer=customer).first() or AutoPay(
        customer=customer
    )


def kept_account(autopay: AutoPay) -> BankAccount | None:
    """The account Auto Pay pays from now (on, and the account active). Any admin may keep it while
    changing the other settings — even a colleague's private account, which they may not choose
    (``usable_bank_accounts``) and see only as "a private account of <colleague>". Once Auto Pay is
    off, turning it on again takes an account the admin may use."""
    account = autopay.bank_account if autopay.enabled else None
    return account if account is not None and account.status == BankAccountStatus.ACTIVE else None


def snapshot(autopay: AutoPay) -> dict[str, Any]:
    account = autopay.bank_account
    return {
        "enabled": autopay.enabled,
        "max_cents": autopay.max_cents,
        "bank_account": account.label if account else None,
        "bank_account_id": account.pk if account else None,
        "days": autopay.days,
        "when": autopay.when,
    }


@dataclass
class RunReport:
    scheduled: list[int] = field(default_factory=list)  # payment ids
    rescheduled: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)


@transaction.atomic
def autopay_save(
    *,
    customer: Customer,
    actor: User,
    enabled: bool,
    max_cents: int | None,
    bank_account_id: int | None,
    days: int | None,
    when: str,
    now: datetime | None = None,
) -> tuple[AutoPay, RunReport]:
    """Save the Auto Pay page's form (help article, "Set up Auto Pay", steps 3–7). Only an admin of
    the customer account may; the account must be one the admin may use. The change is recorded and
    confirmed by email, and the engine follows at once: payments are scheduled, re-planned, or
    (turned off) withdrawn."""
    membership = CustomerMembership.objects.filter(customer=customer, user=actor).first()
    if membership is None or not membership.is_admin:
        raise AutoPayError(f"Only an admin of {customer.name}'s account can change Auto Pay.")
    current = AutoPay.objects.select_for_update().filter(customer=customer).first() or AutoPay(customer=customer)
    before = snapshot(current) if current.pk else snapshot(AutoPay(customer=customer))
    account = _check(
        membership,
        kept=kept_account(current),
        enabled=enabled,
        max_cents=max_cents,
        bank_account_id=bank_account_id,
        days=days,
    )
    if when not in When.values:
        raise AutoPayError("Choose before or after the due date.", field="when")
    current.enabled = enabled
    if max_cents is not None:
        current.max_cents = max_cents
    if account is not None:
        current.bank_account = account
    if days is not None:
        current.days = days
    current.when = when
    after = snapshot(current)
    if after == before:
        return current, RunReport()
    current.version += 1
    current.updated_by, current.updated_at = actor, timezone.now()
    current.save()
    AutoPayChange.objects.create(customer=customer, actor=actor, actor_email=actor.email, before=before, after=after)
    report = autopay_run(customer_ids=[customer.pk], now=now)
    _email_admins(
        customer,
        "autopay_changed",
        {"autopay": current, "actor": actor, "before": before, "report": report},
        accounts=[current.bank_account],
    )
    return current, report


def _check(
    membership: CustomerMembership,
    *,
    kept: BankAccount | None,
    enabled: bool,
    max_cents: int | None,
    bank_account_id: int | None,
    days: int | None,
) -> BankAccount | None:
    if max_cents is not None and max_cents <= 0:
        raise AutoPayError("The Maximum Payment Amount must be more than $0.00.", field="max_amount")
    if enabled and max_cents is None:
        raise AutoPayError("Enter the Maximum Payment Amount Auto Pay may pay on one invoice.", field="max_amount")
    if days is not None and not 0 <= days <= MAX_DAYS:
        raise AutoPayError(f"Enter a number of business days from 0 to {MAX_DAYS}.", field="days")
    if enabled and days is None:
        raise AutoPayError("Enter the number of business days before or after the due date.", field="days")
    if kept is not None and bank_account_id in (None, kept.pk):
        return kept  # unchanged: never switched behind the admin's back
    usable = list(usable_bank_accounts(membership))
    if bank_account_id is None:
        if enabled and len(usable) == 1:
            return usable[0]
        if enabled and not usable:
            raise AutoPayError("Add a bank account first; Auto Pay pays from it.", field="bank_account")
        if enabled:
            raise AutoPayError("Select the Bank Account to pay from.", field="bank_account")
        return None
    account = next((a for a in usable if a.pk == bank_account_id), None)
    if account is None:
        raise AutoPayError("Select a bank account you may pay from.", field="bank_account")
    return account


# --- The engine ----------------------------------------------------------------------------------


def _unclaimed(customer_ids: Sequence[int] | None, invoice_ids: Sequence[int] | None) -> QuerySet[Invoice]:
    """Open invoices of customers with Auto Pay on, with money available to pay, that Auto Pay has
    never claimed and nobody is paying by hand (a payment scheduled or sent)."""
    invoices = Invoice.objects.filter(voided_at__isnull=True, customer__autopay__enabled=True)
    if customer_ids is not None:
        invoices = invoices.filter(customer_id__in=customer_ids)
    if invoice_ids is not None:
        invoices = invoices.filter(pk__in=invoice_ids)
    return (
        invoices.annotate(available=available_sql())
        .filter(available__gt=0)
        .exclude(Exists(AutoPayClaim.objects.filter(invoice=OuterRef("pk"))))
        .exclude(Exists(Allocation.objects.filter(invoice=OuterRef("pk"), payment__status__in=IN_FLIGHT)))
    )


def _stale(customer_ids: Sequence[int] | None, invoice_ids: Sequence[int] | None) -> QuerySet[AutoPayClaim]:
    """Claims whose payment is still scheduled but was planned under other settings, for another
    customer, or whose invoice changed (``invoice_ids`` given explicitly)."""
    claims = AutoPayClaim.objects.filter(payment__status=PaymentStatus.SCHEDULED)
    if customer_ids is not None:
        claims = claims.filter(customer_id__in=customer_ids)
    changed = (
        Q(customer__autopay__enabled=False)
        | ~Q(settings_version=F("customer__autopay__version"))
        | ~Q(customer_id=F("invoice__customer_id"))
        | Q(invoice__voided_at__isnull=False)
    )
    if invoice_ids is not None:
        return claims.filter(invoice_id__in=invoice_ids)
    return claims.filter(changed)


def _concern_autopay(invoice_ids: Sequence[int]) -> bool:
    """Whether any of these invoices is of a customer with Auto Pay on, or is claimed by Auto Pay.
    Most invoices created or edited are neither: one light query then spares the run's two heavy
    ones."""
    claimed = Exists(AutoPayClaim.objects.filter(invoice=OuterRef("pk")))
    return Invoice.objects.filter(Q(customer__autopay__enabled=True) | claimed, pk__in=invoice_ids).exists()


def autopay_run(
    *,
    customer_ids: Sequence[int] | None = None,
    invoice_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> RunReport:
    """Schedule Auto Pay's payments and bring the scheduled ones in line with the settings and the
    invoices. ``customer_ids``/``invoice_ids`` narrow the work (``None``: everything, the sweep).
    Safe to run any number of times, in parallel: what is done is never done again."""
    now = now or timezone.now()
    report = RunReport()
    if customer_ids is None and invoice_ids is not None and not _concern_autopay(invoice_ids):
        return report
    todo = list(_unclaimed(customer_ids, invoice_ids).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(todo), BATCH):
        report.scheduled += _claim_batch(todo[start : start + BATCH], now)
    stale = list(_stale(customer_ids, invoice_ids).order_by("invoice_id").values_list("pk", flat=True))
    for start in range(0, len(stale), BATCH):
        _replan_batch(stale[start : start + BATCH], now, report)
    if report.withdrawn and invoice_ids is None:
        # A payment withdrawn because its invoice moved to another customer may be claimable there.
        report.scheduled += _claim_again(report, now)
    if report.scheduled or report.rescheduled:
        transaction.on_commit(_queue_notices)
    return report


def _claim_again(report: RunReport, now: datetime) -> list[int]:
    todo = list(_unclaimed(None, None).filter(pk__in=_invoices_of(report.withdrawn)).values_list("pk", flat=True))
    return _claim_batch(todo, now) if todo else []


def _invoices_of(payment_ids: Iterable[int]) -> list[int]:
    return list(Allocation.objects.filter(payment_id__in=list(payment_ids)).values_list("invoice_id", flat=True))


def _claim_batch(invoice_ids: list[int], now: datetime, *, retry: bool = True) -> list[int]:
    try:
        with transaction.atomic():
            return _claim_locked(invoice_ids, now)
    except IntegrityError:
        if not retry:
            raise
        # Another worker claimed some of these between our read and our write: read again.
        return _claim_batch(invoice_ids, now, retry=False)


def _claim_locked(invoice_ids: list[int], now: datetime) -> list[int]:
    _no_jit()
    _lock(invoice_ids)
    # A fresh read after the lock: whatever committed while we waited is seen now.
    rows: list[tuple[int, int, date, int]] = list(
        _unclaimed(None, invoice_ids).order_by("pk").values_list("pk", "customer_id", "due_date", "available")  # type: ignore[misc]
    )
    if not rows:
        return []
    settings = {
        autopay.customer_id: autopay
        for autopay in AutoPay.objects.select_related("bank_account", "customer")
        .filter(customer_id__in={customer_id for _, customer_id, _, _ in rows}, enabled=True)
        .only(*_SETTINGS_FIELDS)
    }
    billers = _billers({autopay.customer.biller_id for autopay in settings.values()})
    # Each biller's "now" and each (due date, offset) Pay On date are worked out once per batch.
    clocks = {pk: now.astimezone(ZoneInfo(biller.time_zone)) for pk, biller in billers.items()}
    pay_ons: dict[tuple[int, date, int], date | None] = {}
    payments, plans = [], []
    for invoice_id, customer_id, due, available in rows:
        autopay = settings.get(customer_id)
        if autopay is None or autopay.bank_account is None or autopay.bank_account.status != BankAccountStatus.ACTIVE:
            continue
        biller_id = autopay.customer.biller_id
        key = (biller_id, due, autopay.offset)
        if key not in pay_ons:
            biller, now_local = billers[biller_id], clocks[biller_id]
            planned = autopay_pay_on(due, autopay.offset, now_local=now_local, cutoff=biller.ach_cutoff_time)
            # None: more than a year ahead, so a later sweep schedules it.
            pay_ons[key] = planned if planned <= latest_pay_on(now_local.date()) else None
        pay_on = pay_ons[key]
        if pay_on is None:
            continue
        amounts = split(available, autopay.max_cents or 0)
        payments.append(
            Payment(
                biller_id=biller_id,
                customer_id=customer_id,
                method=PaymentMethod.ACH,
                status=PaymentStatus.SCHEDULED,
                amount_cents=amounts.pay_cents,
                pay_on=pay_on,
                bank_account_id=autopay.bank_account_id,
                is_autopay=True,
                created_by_id=autopay.updated_by_id,
                created_at=now,
            )
        )
        plans.append((invoice_id, customer_id, autopay.version, amounts))
    if not payments:
        return []
    Payment.objects.bulk_create(payments)
    Allocation.objects.bulk_create(
        Allocation(payment_id=payment.pk, invoice_id=invoice_id, amount_cents=payment.amount_cents)
        for payment, (invoice_id, *_) in zip(payments, plans, strict=True)
    )
    PaymentEvent.objects.bulk_create(
        PaymentEvent(payment_id=payment.pk, actor=None, to_status=PaymentStatus.SCHEDULED, note="Scheduled by Auto Pay")
        for payment in payments
    )
    AutoPayClaim.objects.bulk_create(
        AutoPayClaim(
            invoice_id=invoice_id,
            customer_id=customer_id,
            payment_id=payment.pk,
            settings_version=version,
            left_to_pay_cents=amounts.left_cents,
            created_at=now,
        )
        for payment, (invoice_id, customer_id, version, amounts) in zip(payments, plans, strict=True)
    )
    refresh_invoice_amounts([invoice_id for invoice_id, *_ in plans])
    _tell_webhooks(payments, plans)
    return [payment.pk for payment in payments]


def _tell_webhooks(payments: list[Payment], plans: list[tuple[int, int, int, Split]]) -> None:
    """payment.scheduled and autopay.payment_scheduled for each payment, autopay.limit_exceeded for
    those that leave part of their invoice to pay by hand: one query when no endpoint listens."""
    listeners = webhook_listeners(biller_ids={payment.biller_id for payment in payments})
    ids = [payment.pk for payment in payments]
    webhooks_emit(type=EventType.PAYMENT_SCHEDULED, ids=ids, listeners=listeners)
    webhooks_emit(type=EventType.AUTOPAY_PAYMENT_SCHEDULED, ids=ids, listeners=listeners)
    limited = [payment.pk for payment, (*_, amounts) in zip(payments, plans, strict=True) if amounts.left_cents > 0]
    webhooks_emit(type=EventType.AUTOPAY_LIMIT_EXCEEDED, ids=limited, listeners=listeners)


# What the engine reads of a setting (and of its account and customer) to plan a payment.
_SETTINGS_FIELDS = (
    "customer_id",
    "enabled",
    "max_cents",
    "bank_account_id",
    "days",
    "when",
    "version",
    "updated_by_id",
    "bank_account__status",
    "customer__biller_id",
)


def _lock(invoice_ids: list[int]) -> None:
    """The invoices' row locks, taken as ``lock_invoices`` takes them (id order, so Auto Pay and a
    manual payment never deadlock), without loading the rows: the re-read that follows needs only
    four columns."""
    locked = Invoice.objects.select_for_update().filter(pk__in=sorted(set(invoice_ids))).order_by("pk")
    list(locked.values_list("pk", flat=True))


def _no_jit() -> None:
    """No JIT compilation for the rest of this transaction (PostgreSQL). The batch's statements
    touch a few hundred rows each, but the planner's estimate for ``refresh_invoice_amounts``'s
    correlated sums over 500 invoices is far above ``jit_above_cost``, and compiling them took
    ~200 ms a batch — longer than running them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _billers(ids: Iterable[int]) -> dict[int, Biller]:
    return {
        biller.pk: biller for biller in Biller.objects.filter(pk__in=list(ids)).only("time_zone", "ach_cutoff_time")
    }


def _replan_batch(claim_ids: list[int], now: datetime, report: RunReport) -> None:
    with transaction.atomic():
        invoice_ids = list(AutoPayClaim.objects.filter(pk__in=claim_ids).values_list("invoice_id", flat=True))
        lock_invoices(invoice_ids)
        claims = (
            AutoPayClaim.objects.select_related("payment", "invoice__customer__biller")
            .filter(pk__in=claim_ids, payment__status=PaymentStatus.SCHEDULED)
            .order_by("invoice_id")
        )
        settings = {
            autopay.customer_id: autopay
            for autopay in AutoPay.objects.select_related("bank_account").filter(
                customer_id__in={claim.invoice.customer_id for claim in claims}
            )
        }
        for claim in claims:
            _replan(claim, settings.get(claim.invoice.customer_id), now, report)


def _replan(claim: AutoPayClaim, autopay: AutoPay | None, now: datetime, report: RunReport) -> None:
    payment, invoice = claim.payment, claim.invoice
    usable = (
        autopay is not None
        and autopay.enabled
        and autopay.bank_account is not None
        and autopay.bank_account.status == BankAccountStatus.ACTIVE
        and invoice.customer_id == claim.customer_id
    )
    if invoice.is_void:
        payment_adjust(payment=payment, actor=None, note="The invoice was voided", invoice_cents={invoice.pk: 0})
        report.withdrawn.append(payment.pk)
        return
    if not usable or autopay is None or autopay.bank_account is None:
        _withdraw(claim, "Auto Pay was turned off" if invoice.customer_id == claim.customer_id else "The invoice moved")
        report.withdrawn.append(payment.pk)
        return
    biller = invoice.customer.biller
    now_local = now.astimezone(ZoneInfo(biller.time_zone))
    mine = payment.amount_cents  # an Auto Pay payment pays exactly one invoice
    amounts = split(invoice.available_cents + mine, autopay.max_cents or 0)
    if amounts.pay_cents == 0:
        _withdraw(claim, "Nothing is left to pay on the invoice")
        report.withdrawn.append(payment.pk)
        return
    pay_on = autopay_pay_on(invoice.due_date, autopay.offset, now_local=now_local, cutoff=biller.ach_cutoff_time)
    if payment.pay_on < earliest_pay_on(now_local, biller.ach_cutoff_time):
        pay_on = payment.pay_on  # already due at the bank: the ACH export decides its date now
    changed = (amounts.pay_cents, pay_on, autopay.bank_account.pk) != (mine, payment.pay_on, payment.bank_account_id)
    if changed:
        payment_adjust(
            payment=payment,
            actor=None,
            note="Auto Pay re-planned it",
            invoice_cents={invoice.pk: amounts.pay_cents},
            pay_on=pay_on,
            bank_account=autopay.bank_account,
        )
        report.rescheduled.append(payment.pk)
    AutoPayClaim.objects.filter(pk=claim.pk).update(
        settings_version=autopay.version,
        left_to_pay_cents=amounts.left_cents,
        **({"notified_at": None} if changed else {}),
    )


def _withdraw(claim: AutoPayClaim, reason: str) -> None:
    """Auto Pay takes back a payment it scheduled (never sent): the payment is cancelled and the
    claim removed, so the invoice can be paid again — by hand, or by Auto Pay once it is back on."""
    payment_cancel(payment=claim.payment, actor=None, reason=reason)
    claim.delete()


# --- What changes around Auto Pay ----------------------------------------------------------------


def autopay_make_room(*, invoice: Invoice, cents: int, actor: User | None, reason: str) -> int:
    """Take up to ``cents`` off the invoice's scheduled Auto Pay payment (an edit lowered the total,
    or the biller recorded a cheque). Returns what was freed. Call with the invoice locked."""
    claim = (
        AutoPayClaim.objects.select_related("payment")
        .filter(invoice=invoice, payment__status=PaymentStatus.SCHEDULED)
        .first()
    )
    if claim is None or cents <= 0:
        return 0
    freed = min(cents, claim.payment.amount_cents)
    payment_adjust(
        payment=claim.payment,
        actor=actor,
        note=reason,
        invoice_cents={invoice.pk: claim.payment.amount_cents - freed},
    )
    return freed


def autopay_release_invoice(*, invoice: Invoice, actor: User | None, reason: str) -> None:
    """The invoice moves to another customer: its scheduled Auto Pay payment is withdrawn."""
    claim = (
        AutoPayClaim.objects.select_related("payment")
        .filter(invoice=invoice, payment__status=PaymentStatus.SCHEDULED)
        .first()
    )
    if claim is not None:
        _withdraw(claim, reason)


def autopay_skip(*, payment: Payment, actor: User | None) -> Payment:
    """Skip one Auto Pay payment before it is sent: it is cancelled, Auto Pay leaves the invoice alone
    from now on (the claim stays), and the admins are told. ``actor`` None: from the signed link in
    the advance notice (the view checked the signature); otherwise an admin in the portal."""
    if actor is not None:
        membership = CustomerMembership.objects.filter(customer_id=payment.customer_id, user=actor).first()
        if membership is None or not membership.is_admin:
            raise PaymentError("Only an admin of the account can skip an Auto Pay payment.")
    if not payment.is_autopay:
        raise PaymentError("This payment was not made by Auto Pay.")
    how = f"Skipped by {actor.email}" if actor else "Skipped from the link in the Auto Pay email"
    with transaction.atomic():
        payment = payment_cancel(payment=payment, actor=actor, reason=how)
        customer = Customer.objects.select_related("biller").get(pk=payment.customer_id)
        invoices = list(Invoice.objects.filter(allocations__payment=payment))
        _email_admins(customer, "autopay_skipped", {"payment": payment, "invoices": invoices, "how": how})
    return payment


@transaction.atomic
def autopay_account_gone(*, bank_account: BankAccount, actor: User | None, reason: str) -> bool:
    """Auto Pay's bank account was removed (or its owner lost access): Auto Pay turns off, its
    scheduled payments are withdrawn, and the admins are told. Returns whether it was on."""
    autopay = AutoPay.objects.select_for_update().filter(bank_account=bank_account, enabled=True).first()
    if autopay is None:
        return False
    before = snapshot(autopay)
    autopay.enabled, autopay.version = False, autopay.version + 1
    autopay.updated_at = timezone.now()
    autopay.save()
    AutoPayChange.objects.create(
        customer_id=autopay.customer_id,
        actor=actor,
        actor_email=actor.email if actor else "",
        reason=reason,
        before=before,
        after=snapshot(autopay),
    )
    report = autopay_run(customer_ids=[autopay.customer_id])
    customer = Customer.objects.select_related("biller").get(pk=autopay.customer_id)
    _email_admins(
        customer,
        "autopay_turned_off",
        {"autopay": autopay, "reason": reason, "account": bank_account, "report": report},
        accounts=[bank_account],
    )
    return True


# --- Telling people ------------------------------------------------------------------------------


def _email_admins(
    customer: Customer, template: str, context: dict[str, Any], *, accounts: Sequence[BankAccount | None] = ()
) -> None:
    """Tell the customer's admins; a colleague's private account among ``accounts`` is named to the
    others only as whose it is (one message per way of seeing it, ``email_people``)."""
    biller = customer.biller
    context = {**context, "customer": customer, "autopay_url": biller.portal_url("autopay/")}
    email_people(people=admins(customer.pk), accounts=accounts, template=template, biller=biller, context=context)


def _queue_notices() -> None:
    from remit.autopay.tasks import send_autopay_notices

    hand_to_worker(send_autopay_notices, what="the Auto Pay notices")


def autopay_send_notices(*, limit_customers: int = 500) -> int:
    """The advance notice (issue 6, 5): for each customer with new or changed Auto Pay payments, one
    email to its admins with each payment's amount, date, masked account and a link to skip it; and
    for invoices above the maximum, a notice to the biller that the rest must be paid by hand.
    Each claim is notified once: the conditional update decides which run sends it."""
    from remit.autopay.links import skip_url

    sent = 0
    customer_ids = list(
        AutoPayClaim.objects.filter(notified_at__isnull=True)
        .values_list("customer_id", flat=True)
        .distinct()
        .order_by("customer_id")[:limit_customers]
    )
    for customer_id in customer_ids:
        with transaction.atomic():
            claims = list(
                AutoPayClaim.objects.select_related("payment__bank_account__added_by", "invoice")
                .filter(customer_id=customer_id, notified_at__isnull=True)
                .order_by("payment__pay_on", "invoice_id")
            )
            mine = AutoPayClaim.objects.filter(pk__in=[c.pk for c in claims], notified_at__isnull=True)
            if mine.update(notified_at=timezone.now()) != len(claims):
                transaction.set_rollback(True)  # another run is sending these
                continue
            upcoming = [c for c in claims if c.payment.status == PaymentStatus.SCHEDULED]
            if not upcoming:
                continue
            customer = Customer.objects.select_related("biller").get(pk=customer_id)
            items = [(claim, skip_url(claim.payment, customer.biller)) for claim in upcoming]
            _email_admins(
                customer, "autopay_scheduled", {"items": items}, accounts=[c.payment.bank_account for c in upcoming]
            )
            limited = [c for c in upcoming if c.left_to_pay_cents > 0]
            if limited:
                _email_biller_limit(customer, limited)
            sent += 1
    return sent


def _email_biller_limit(customer: Customer, claims: list[AutoPayClaim]) -> None:
    from django.conf import settings as django_settings

    biller = customer.biller
    owners = owner_emails(biller.pk)
    if owners:
        email_send(
            to=owners,
            template="autopay_limit_biller",
            biller=biller,
            context={
                "customer": customer,
                "claims": claims,
                "console_url": f"{django_settings.REMIT_BASE_URL}/console/{biller.slug}/payments/",
            },
        )
