"""The reminder round: the one action the worker's periodic task and `remit reminders run` call.

For each biller with a schedule, on the biller's own date (its time zone): first the late fees that
are due (``late_fees_add``), then, step by step, the invoices for which that step is the latest one
whose day has come (``rules.latest_due_step``, as date ranges: ``rules.step_windows``), in batches of
500. A batch locks its invoices (id order, the ledger's one lock order), reads them again under the
lock, writes one ``ReminderSent`` per invoice and puts the emails in the outbox in one bulk INSERT
(``outbox_batch``) — all in one transaction. A second worker waits on the locks and then finds the
rows; a crash rolls back rows and emails together; the unique (invoice, step) is the last word.

Who gets none (``_coverage``): an invoice paid, void, paused (itself or its customer), or with nothing
left to pay (``available``: every cent still owed is in a scheduled or in-flight payment, by hand or
by Auto Pay). An invoice of a customer with Auto Pay on (from a usable account) that Auto Pay has not
claimed yet and has not refused is skipped *for now*: the Auto Pay sweep claims it within the hour,
and the step, still due, goes on the next round with what Auto Pay scheduled — a reminder sent in
between would chase money that is about to be debited. A partly covered invoice's reminder says what
is scheduled (each Pay On date and amount) and what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from remit.autopay.models import AutoPay, AutoPayClaim, AutoPayRefusal
from remit.billers.models import Biller
from remit.invoices.actions import InvoiceDraft, InvoiceError, invoice_update
from remit.invoices.links import pay_url
from remit.invoices.models import Invoice
from remit.invoices.totals import Line
from remit.ledger.amounts import available_sql
from remit.ledger.locks import lock_invoice_rows
from remit.lib.bulk import batches
from remit.lib.money import format_cents
from remit.notifications.actions import email_send_optional, outbox_batch
from remit.notifications.categories import EmailCategory
from remit.payments.controls import autopay_allowed_sql
from remit.payments.models import (
    IN_FLIGHT,
    Allocation,
    BankAccountStatus,
)
from remit.reminders import rules
from remit.reminders.models import LateFee, LateFeePolicy, ReminderPause, ReminderSent, ReminderStep, describe_offset

logger = logging.getLogger(__name__)
BATCH = 500
LATE_FEE_LINE = "Late fee"


@dataclass(frozen=True)
class Sent:
    biller: str
    invoice: str
    customer: str
    recipients: tuple[str, ...]
    offset_days: int
    left_cents: int
    scheduled_cents: int


@dataclass
class RoundReport:
    sent: list[Sent] = field(default_factory=list)
    late_fees: list[tuple[str, int]] = field(default_factory=list)  # (invoice number, cents added)
    emails: int = 0


def _coverage(invoices: QuerySet[Invoice], biller: Biller) -> QuerySet[Invoice]:
    """The open invoices, with what decides whether a reminder goes: ``available`` (left to pay,
    not scheduled), ``paused``, ``autopay_coming``."""
    autopay_on = AutoPay.objects.filter(
        customer_id=OuterRef("customer_id"), enabled=True, bank_account__status=BankAccountStatus.ACTIVE
    )
    claimed = AutoPayClaim.objects.filter(invoice_id=OuterRef("pk"))
    refused = AutoPayRefusal.objects.filter(invoice_id=OuterRef("pk"))
    active = ReminderPause.objects.filter(lifted_at__isnull=True)
    allowed = autopay_allowed_sql(biller, customer_field="customer_id")
    return invoices.filter(voided_at__isnull=True).annotate(
        available=available_sql(),
        paused=Exists(active.filter(invoice_id=OuterRef("pk")))
        | Exists(active.filter(customer_id=OuterRef("customer_id"))),
        autopay_coming=Q(Exists(autopay_on)) & ~Q(Exists(claimed)) & ~Q(Exists(refused)) & allowed,
    )


def _chased(invoices: QuerySet[Invoice], biller: Biller) -> QuerySet[Invoice]:
    return _coverage(invoices, biller).filter(available__gt=0, paused=False, autopay_coming=False)  # type: ignore[misc]


def _window(biller: Biller, offset: int, after: date | None, up_to: date) -> QuerySet[Invoice]:
    invoices = Invoice.objects.filter(biller=biller, due_date__lte=up_to)
    if after is not None:
        invoices = invoices.filter(due_date__gt=after)
    return invoices.exclude(Exists(ReminderSent.objects.filter(invoice_id=OuterRef("pk"), offset_days__gte=offset)))


def _billers(biller_ids: Sequence[int] | None) -> QuerySet[Biller]:
    billers = Biller.objects.filter(
        Exists(ReminderStep.objects.filter(biller_id=OuterRef("pk")))
        | Exists(LateFeePolicy.objects.filter(biller_id=OuterRef("pk"), confirmed_at__isnull=False))
    )
    if biller_ids is not None:
        billers = billers.filter(pk__in=biller_ids)
    return billers.order_by("pk")


def reminders_run(
    *, today: date | None = None, now: datetime | None = None, biller_ids: Sequence[int] | None = None
) -> RoundReport:
    """One round for every biller (or those given). ``today``: act as if it were that date for every
    biller (the command's ``--today``); otherwise each biller's own date. Safe to run any number of
    times, in parallel: a reminder sent is never sent again."""
    report = RoundReport()
    for biller in _billers(biller_ids):
        day = today or biller.today(now)
        late_fees_add(biller=biller, today=day, report=report)
        steps = {step.offset_days: step for step in ReminderStep.objects.filter(biller=biller)}
        for offset, after, up_to in rules.step_windows(list(steps), day):
            ids = list(
                _chased(_window(biller, offset, after, up_to), biller).order_by("pk").values_list("pk", flat=True)
            )
            for batch in batches(ids, BATCH):
                _send_batch(biller, steps[offset], (after, up_to), list(batch), day, report)
    return report


Window = tuple[date | None, date]


def _send_batch(
    biller: Biller, step: ReminderStep, window: Window, ids: list[int], day: date, report: RoundReport
) -> None:
    try:
        with transaction.atomic():
            _send_locked(biller, step, window, ids, day, report)
    except IntegrityError:
        # Only if something wrote a ReminderSent without taking the invoices' locks: nothing of this
        # batch was kept (the emails neither); the next round looks again.
        logger.warning("Reminders of biller %s, step %s: a batch met reminders already sent", biller.pk, step.pk)


def _send_locked(
    biller: Biller, step: ReminderStep, window: Window, ids: list[int], day: date, report: RoundReport
) -> None:
    lock_invoice_rows(ids)
    offset = step.offset_days
    after, up_to = window
    invoices = [
        invoice
        for invoice in _chased(_window(biller, offset, after, up_to).filter(pk__in=ids), biller)
        .select_related("customer")
        .order_by("pk")
        if invoice.due_date + timedelta(days=offset) >= invoice.issue_date
    ]
    if not invoices:
        return
    scheduled = scheduled_parts([invoice.pk for invoice in invoices])
    fees = dict(
        LateFee.objects.filter(invoice_id__in=[i.pk for i in invoices], cents__gt=0).values_list("invoice_id", "cents")
    )
    terms = fee_terms(biller)
    rows: list[ReminderSent] = []
    before = len(report.sent)
    with outbox_batch():
        for invoice in invoices:
            recipients = list(dict.fromkeys(invoice.customer.billing_emails))
            if not recipients:
                continue
            invoice.biller = biller  # the link and the email read the biller: no query per invoice
            parts = scheduled.get(invoice.pk, [])
            context = reminder_context(invoice, step, day, parts, fees.get(invoice.pk, 0), terms)
            emails = email_send_optional(
                to=recipients, category=EmailCategory.REMINDERS, template="reminder", context=context, biller=biller
            )
            report.emails += len(emails)
            rows.append(
                ReminderSent(
                    invoice=invoice,
                    offset_days=offset,
                    subject=context["subject"][:300],
                    recipients=recipients,
                    balance_cents=invoice.balance_cents,
                    scheduled_cents=context["scheduled_cents"],
                    left_cents=invoice.available_cents,
                    sent_on=day,
                )
            )
            report.sent.append(
                Sent(
                    biller=biller.slug,
                    invoice=invoice.number,
                    customer=invoice.customer.name,
                    recipients=tuple(recipients),
                    offset_days=offset,
                    left_cents=invoice.available_cents,
                    scheduled_cents=context["scheduled_cents"],
                )
            )
    try:
        ReminderSent.objects.bulk_create(rows, batch_size=BATCH)
    except IntegrityError:
        del report.sent[before:]
        raise


def scheduled_parts(invoice_ids: Iterable[int]) -> dict[int, list[tuple[date, int]]]:
    """Each invoice's money already on its way: (Pay On, cents) per date, earliest first."""
    parts: dict[int, dict[date, int]] = {}
    rows = Allocation.objects.filter(invoice_id__in=list(invoice_ids), payment__status__in=IN_FLIGHT).values_list(
        "invoice_id", "payment__pay_on", "amount_cents"
    )
    for invoice_id, pay_on, cents in rows:
        dates = parts.setdefault(invoice_id, {})
        dates[pay_on] = dates.get(pay_on, 0) + cents
    return {invoice_id: sorted(dates.items()) for invoice_id, dates in parts.items()}


def fee_terms(biller: Biller) -> rules.FeeTerms | None:
    policy = LateFeePolicy.objects.filter(biller=biller).first()
    if policy is None or not policy.is_active:
        return None
    return rules.FeeTerms(
        kind=policy.kind, fixed_cents=policy.fixed_cents, percent=policy.percent, grace_days=policy.grace_days
    )


def reminder_context(
    invoice: Invoice,
    step: ReminderStep,
    day: date,
    parts: list[tuple[date, int]],
    fee_added_cents: int,
    terms: rules.FeeTerms | None,
) -> dict[str, Any]:
    scheduled_cents = sum(cents for _, cents in parts)
    days = (day - invoice.due_date).days
    fee_coming = None
    if terms is not None and not fee_added_cents and not rules.fee_due(terms, due_date=invoice.due_date, today=day):
        cents = rules.fee_cents(terms, balance_cents=invoice.available_cents)
        if 0 < cents <= invoice.total_cents:
            fee_coming = {"cents": cents, "after": invoice.due_date + timedelta(days=terms.grace_days)}
    return {
        "invoice": invoice,
        "customer": invoice.customer,
        # ASCII around the biller's words: an all-ASCII subject spares the outbox a re-parse per email.
        "subject": f"{step.subject} (invoice {invoice.number})",
        "message": step.message,
        "step": describe_offset(step.offset_days),
        "days_overdue": max(days, 0),
        "days_to_due": max(-days, 0),
        "scheduled": [{"pay_on": pay_on, "cents": cents} for pay_on, cents in parts],
        "scheduled_cents": scheduled_cents,
        "left_cents": invoice.available_cents,
        "late_fee_cents": fee_added_cents,
        "late_fee_coming": fee_coming,
        "pay_url": pay_url(invoice, sent_on=day),
    }


# --- Late fees ------------------------------------------------------------------------------------


def late_fees_add(*, biller: Biller, today: date, report: RoundReport | None = None) -> list[tuple[str, int]]:
    """Add the late fee to every invoice past due + grace that still has money left to pay and is
    not paused — once per invoice, only under a policy an owner confirmed."""
    policy = LateFeePolicy.objects.filter(biller=biller).first()
    if policy is None or not policy.is_active:
        return []
    terms = rules.FeeTerms(
        kind=policy.kind, fixed_cents=policy.fixed_cents, percent=policy.percent, grace_days=policy.grace_days
    )
    due_before = today - timedelta(days=terms.grace_days)
    ids = list(
        _chased(Invoice.objects.filter(biller=biller, due_date__lt=due_before), biller)
        .exclude(Exists(LateFee.objects.filter(invoice_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    added: list[tuple[str, int]] = []
    snapshot: dict[str, object] = {
        "kind": policy.kind,
        "fixed_cents": policy.fixed_cents,
        "percent": str(policy.percent),
        "grace_days": policy.grace_days,
    }
    for invoice_id in ids:
        result = _late_fee_one(invoice_id, terms, today, snapshot)
        if result is not None:
            added.append(result)
    if report is not None:
        report.late_fees += added
    return added


def _late_fee_one(
    invoice_id: int, terms: rules.FeeTerms, today: date, snapshot: dict[str, object]
) -> tuple[str, int] | None:
    try:
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice_id)
            if LateFee.objects.filter(invoice=invoice).exists() or invoice.available_cents == 0:
                return None
            cents = rules.fee_cents(terms, balance_cents=invoice.balance_cents)
            note = ""
            if cents > invoice.total_cents:
                total = format_cents(invoice.total_cents)
                note = f"Not added: {format_cents(cents)} is above the invoice's total of {total}."
            elif cents == 0:
                note = "Not added: the fee on this balance rounds to nothing."
            if note:
                LateFee.objects.create(invoice=invoice, cents=0, note=note, policy=snapshot, added_on=today)
                return None
            LateFee.objects.create(invoice=invoice, cents=cents, policy=snapshot, added_on=today)
            invoice_update(invoice=invoice, actor=None, draft=_with_fee(invoice, cents, today))
            return invoice.number, cents
    except InvoiceError as error:
        with transaction.atomic():
            LateFee.objects.get_or_create(
                invoice_id=invoice_id,
                defaults={"cents": 0, "note": f"Not added: {error}"[:300], "policy": snapshot, "added_on": today},
            )
        return None
    except IntegrityError:
        return None  # another round added it at the same moment


def _with_fee(invoice: Invoice, cents: int, today: date) -> InvoiceDraft:
    lines = [Line(line.description, line.quantity, line.unit_price_cents) for line in invoice.lines.all()]
    lines.append(Line(f"{LATE_FEE_LINE} ({today:%b} {today.day}, {today.year})", Decimal(1), cents))
    return InvoiceDraft(
        customer=invoice.customer,
        issue_date=invoice.issue_date,
        lines=lines,
        terms=invoice.terms,
        due_date=invoice.due_date,
        tax_rate=invoice.tax_rate,
        memo=invoice.memo,
        number=invoice.number,
    )
