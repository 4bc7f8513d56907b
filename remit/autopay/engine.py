"""The Auto Pay engine: the one action every trigger calls (``autopay_run``) — an invoice created or
changed (the ``invoices.hooks.invoices_changed`` hook, received by ``autopay_follow_invoices``),
Auto Pay saved, and the worker's periodic sweep — and skipping one of its payments.

It works in batches; each batch locks its invoices (id order, the same as a manual payment, so the two
never deadlock), re-reads them under the lock, and hands its plans to the ledger
(``payments_schedule_many``), which writes the payments, their allocations and one ``AutoPayClaim``
per invoice. The claim's unique invoice makes a second Auto Pay payment for an invoice impossible,
whatever runs at the same time."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from remit.autopay.models import AutoPay, AutoPayClaim, AutoPayRefusal
from remit.autopay.notices import email_admins
from remit.autopay.rules import autopay_pay_on, split
from remit.billers.models import Biller
from remit.customers.models import Customer, CustomerMembership
from remit.invoices.models import Invoice
from remit.ledger.amounts import available_sql
from remit.ledger.claims import claim_withdraw
from remit.ledger.errors import PaymentError
from remit.ledger.locks import lock_invoice_rows, lock_invoices
from remit.ledger.scheduling import ClaimTerms, Plan, payment_adjust, payments_schedule_many
from remit.lib.bulk import batches
from remit.lib.tasks import enqueue_on_commit
from remit.payments.actions import payment_cancel
from remit.payments.allocation import Payable
from remit.payments.controls import Breach, PaymentRules, limit_breach, payment_rules_many
from remit.payments.credits import credits_use
from remit.payments.dates import earliest_pay_on, latest_pay_on
from remit.payments.holds import payment_holds_place_many
from remit.payments.models import (
    IN_FLIGHT,
    Allocation,
    BankAccountStatus,
    Credit,
    CreditAppliedBy,
    OverLimit,
    Payment,
    PaymentStatus,
)
from remit.users.models import User
from remit.webhooks.emit import webhook_listeners, webhooks_emit
from remit.webhooks.models import EventType

logger = logging.getLogger(__name__)
BATCH = 500


@dataclass
class RunReport:
    scheduled: list[int] = field(default_factory=list)  # payment ids
    rescheduled: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)


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
    ones. Written in SQL because it runs on every invoice created or edited (an API request's
    hot path), where building the same query through the ORM costs seven times as much CPU.
    Each invoice joins at most one Auto Pay setting (one per customer) and one claim (one per invoice)."""
    if not invoice_ids:
        return False
    ids = ", ".join(["%s"] * len(invoice_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM invoices_invoice i "  # noqa: S608 (only placeholders are formatted in)
            "LEFT JOIN autopay_autopay a ON a.customer_id = i.customer_id AND a.enabled "
            "LEFT JOIN autopay_autopayclaim c ON c.invoice_id = i.id "
            f"WHERE i.id IN ({ids}) AND (a.id IS NOT NULL OR c.id IS NOT NULL) LIMIT 1",
            list(invoice_ids),
        )
        return cursor.fetchone() is not None


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
    for batch in batches(todo, BATCH):
        report.scheduled += _claim_batch(list(batch), now)
    stale = list(_stale(customer_ids, invoice_ids).order_by("invoice_id").values_list("pk", flat=True))
    for batch in batches(stale, BATCH):
        _replan_batch(list(batch), now, report)
    if report.withdrawn and invoice_ids is None:
        # A payment withdrawn because its invoice moved to another customer may be claimable there.
        report.scheduled += _claim_again(report, now)
    if report.scheduled or report.rescheduled:
        with transaction.atomic(savepoint=False):  # the sweep calls autopay_run outside a transaction
            enqueue_on_commit("remit.autopay.tasks.send_autopay_notices", what="the Auto Pay notices")
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
    lock_invoice_rows(invoice_ids)
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
    limits = _Limits(payment_rules_many(settings))
    # Each biller's "now" and each (due date, offset) Pay On date are worked out once per batch.
    clocks = {pk: now.astimezone(ZoneInfo(biller.time_zone)) for pk, biller in billers.items()}
    pay_ons: dict[tuple[int, date, int], date | None] = {}
    plans: list[Plan] = []
    rows = _use_credits_first(rows, settings)
    for invoice_id, customer_id, due, available in rows:
        autopay = settings.get(customer_id)
        account = autopay.bank_account if autopay is not None else None
        if autopay is None or account is None or account.status != BankAccountStatus.ACTIVE:
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
        if not limits.allows(customer_id, amounts.pay_cents, pay_on, invoice_id):
            continue
        plans.append(
            Plan(
                biller_id=biller_id,
                customer_id=customer_id,
                bank_account_id=account.pk,
                pay_on=pay_on,
                parts=[(invoice_id, amounts.pay_cents)],
                note="Scheduled by Auto Pay",
                created_by_id=autopay.updated_by_id,
                autopay=ClaimTerms(settings_version=autopay.version, left_to_pay_cents=amounts.left_cents),
            )
        )
    payments = payments_schedule_many(plans, now=now)
    if payments:
        limits.hold(payments, plans)
        _tell_webhooks(payments, plans)
    if limits.refused:
        _tell_refused(limits.refused)
    return [payment.pk for payment in payments]


def _use_credits_first(
    rows: list[tuple[int, int, date, int]], settings: dict[int, AutoPay]
) -> list[tuple[int, int, date, int]]:
    """Auto Pay pays with the customer's unapplied credit first (oldest due invoice first) and debits
    only the rest; an invoice the credit covers in full gets no debit. One query when no customer of
    the batch has credit left."""
    usable = {
        customer_id
        for customer_id, autopay in settings.items()
        if autopay.bank_account is not None and autopay.bank_account.status == BankAccountStatus.ACTIVE
    }
    with_credit = set(
        Credit.objects.filter(customer_id__in=usable, applied_cents__lt=F("amount_cents")).values_list(
            "customer_id", flat=True
        )
    )
    if not with_credit:
        return rows
    used: dict[int, int] = {}
    for customer_id in sorted(with_credit):
        payables = [Payable(pk, due, available) for pk, owner, due, available in rows if owner == customer_id]
        done = credits_use(customer_id=customer_id, invoices=payables, by=CreditAppliedBy.AUTOPAY, actor=None)
        used |= done.by_invoice
    return [
        (pk, customer_id, due, available - used.get(pk, 0))
        for pk, customer_id, due, available in rows
        if available - used.get(pk, 0) > 0
    ]


def _tell_refused(refused: dict[int, tuple[int, Breach]]) -> None:
    """Invoices Auto Pay left alone because the biller refuses payments above the customer's limit:
    one ``AutoPayRefusal`` per invoice, and the customer's admins told once (one email per customer
    per sweep), so a sweep that looks at the invoice again says nothing new."""
    told = set(AutoPayRefusal.objects.filter(invoice_id__in=refused).values_list("invoice_id", flat=True))
    new = {invoice_id: why for invoice_id, why in refused.items() if invoice_id not in told}
    if not new:
        return
    AutoPayRefusal.objects.bulk_create(
        [
            AutoPayRefusal(invoice_id=invoice_id, customer_id=customer_id, reason=breach.message[:300])
            for invoice_id, (customer_id, breach) in new.items()
        ],
        ignore_conflicts=True,
    )
    numbers = dict(Invoice.objects.filter(pk__in=new).values_list("pk", "number"))
    by_customer: dict[int, list[dict[str, str]]] = {}
    for invoice_id, (customer_id, breach) in sorted(new.items()):
        by_customer.setdefault(customer_id, []).append({"number": numbers[invoice_id], "reason": breach.message})
    for customer in Customer.objects.select_related("biller").filter(pk__in=by_customer):
        email_admins(
            customer,
            "autopay_refused",
            {"refusals": by_customer[customer.pk], "portal_url": customer.biller.portal_url("pay-bills/")},
        )


class _Limits:
    """The biller's controls as Auto Pay follows them, for one batch: no payment for a customer who
    may not use Auto Pay; one above the customer's limit per payment or per month is not made (the
    biller refuses: the invoice is left to pay by hand) or made and held for review (the biller holds).
    The month's total counts this batch's earlier plans too."""

    def __init__(self, rules: dict[int, PaymentRules]) -> None:
        self.rules = rules
        self.planned: dict[tuple[int, int, int], int] = {}  # (customer, year, month) → cents planned
        self.breaches: dict[int, Breach] = {}  # invoice id → the limit its payment is held for
        self.refused: dict[int, tuple[int, Breach]] = {}  # invoice id → (customer, the limit it is above)

    def allows(self, customer_id: int, cents: int, pay_on: date, invoice_id: int) -> bool:
        rules = self.rules.get(customer_id)
        if rules is None or not rules.allow_autopay:
            return False
        if rules.max_per_payment_cents is None and rules.max_per_month_cents is None:
            return True
        month = (customer_id, pay_on.year, pay_on.month)
        planned = self.planned.get(month, 0)
        breach = limit_breach(rules, customer_id=customer_id, amount_cents=cents, pay_on=pay_on, planned_cents=planned)
        if breach is not None and rules.over_limit == OverLimit.REFUSE:
            self.refused[invoice_id] = (customer_id, breach)
            return False
        if breach is not None:
            self.breaches[invoice_id] = breach
        self.planned[month] = planned + cents
        return True

    def hold(self, payments: list[Payment], plans: list[Plan]) -> None:
        """Hold the payments planned above a limit: one bulk placing per biller."""
        by_biller: dict[int, list[tuple[int, str, str]]] = {}
        for payment, plan in zip(payments, plans, strict=True):
            breach = self.breaches.get(plan.parts[0][0])
            if breach is not None:
                by_biller.setdefault(payment.biller_id, []).append((payment.pk, breach.code, breach.message))
        for biller_id, holds in by_biller.items():
            payment_holds_place_many(biller_id=biller_id, holds=holds)


def _tell_webhooks(payments: list[Payment], plans: list[Plan]) -> None:
    """payment.scheduled and autopay.payment_scheduled for each payment, autopay.limit_exceeded for
    those that leave part of their invoice to pay by hand: one query when no endpoint listens."""
    listeners = webhook_listeners(biller_ids={payment.biller_id for payment in payments})
    ids = [payment.pk for payment in payments]
    webhooks_emit(type=EventType.PAYMENT_SCHEDULED, ids=ids, listeners=listeners)
    webhooks_emit(type=EventType.AUTOPAY_PAYMENT_SCHEDULED, ids=ids, listeners=listeners)
    limited = [
        payment.pk
        for payment, plan in zip(payments, plans, strict=True)
        if plan.autopay is not None and plan.autopay.left_to_pay_cents > 0
    ]
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
        claim_withdraw(
            claim, reason="Auto Pay was turned off" if invoice.customer_id == claim.customer_id else "The invoice moved"
        )
        report.withdrawn.append(payment.pk)
        return
    biller = invoice.customer.biller
    now_local = now.astimezone(ZoneInfo(biller.time_zone))
    mine = payment.amount_cents  # an Auto Pay payment pays exactly one invoice
    amounts = split(invoice.available_cents + mine, autopay.max_cents or 0)
    if amounts.pay_cents == 0:
        claim_withdraw(claim, reason="Nothing is left to pay on the invoice")
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
        email_admins(customer, "autopay_skipped", {"payment": payment, "invoices": invoices, "how": how})
    return payment


def autopay_follow_invoices(invoice_ids: Sequence[int]) -> bool:
    """The receiver of ``invoices.hooks.invoices_changed``: invoices were created or edited. Whether
    Auto Pay scheduled, moved or withdrew a payment of theirs."""
    changed = False
    for batch in batches(list(invoice_ids), BATCH):  # a CSV import brings up to 50,000: a bounded IN (…) each
        report = autopay_run(invoice_ids=batch)
        changed = changed or bool(report.scheduled or report.rescheduled or report.withdrawn)
    return changed
