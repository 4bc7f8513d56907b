"""Every change to a recurring invoice: create, edit, pause, resume, delete, skip a date, send an
invoice held for review. Each runs in one transaction under the template's row lock and appends a
``RecurringChange``; issuing the invoices themselves is ``issuing.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.invoices.actions import InvoiceDraft, InvoiceError, invoice_create, invoice_send
from remit.invoices.models import Invoice
from remit.invoices.totals import Line, TotalsError, compute_totals
from remit.lib.errors import ActionError
from remit.lib.terms import TERMS_DAYS
from remit.recurring import schedule
from remit.recurring.models import (
    TRANSITIONS,
    Delivery,
    Frequency,
    IssueStatus,
    RecurringChange,
    RecurringInvoice,
    RecurringIssue,
    RecurringLine,
    TemplateStatus,
)
from remit.users.models import User

MAX_LINES = 200
LIMIT = f"{schedule.MAX_INVOICES:,}"


class RecurringError(ActionError):
    """The rules refuse a change to a recurring invoice."""


@dataclass
class TemplateFields:
    """What the biller asks for; ``template_check`` says what is wrong with it, field by field."""

    customer: Customer
    frequency: str
    start_on: date
    lines: list[Line]
    end_on: date | None = None
    count: int | None = None
    terms: str = "net_30"
    tax_rate: Decimal = Decimal(0)
    memo: str = ""
    delivery: str = Delivery.SEND
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def template_check(biller: Biller, fields: TemplateFields, *, today: date, template: RecurringInvoice | None) -> None:
    """Every rule of a template; errors collect on ``fields``. ``template``: the one being edited."""
    if fields.customer.biller_id != biller.pk:
        fields.add_error("customer", "Choose one of your customers.")
    elif fields.customer.is_archived:
        fields.add_error("customer", f"{fields.customer.name} is archived. Restore the customer first.")
    if fields.frequency not in Frequency.values:
        fields.add_error("frequency", "Choose how often to invoice.")
    if fields.terms not in TERMS_DAYS:
        fields.add_error("terms", "Choose the payment terms.")
    if fields.delivery not in Delivery.values:
        fields.add_error("delivery", "Choose whether the invoices are sent or held for review.")
    if len(fields.memo) > 2000:
        fields.add_error("memo", "The memo is longer than 2,000 characters.")
    _check_lines(fields)
    started = template is not None and template.next_n > 0
    if started and template is not None:
        if fields.start_on != template.start_on:
            fields.add_error("start_on", "Invoices were already issued on this schedule; its start date can't change.")
        if fields.frequency != template.frequency:
            fields.add_error("frequency", "Invoices were already issued on this schedule; how often can't change.")
    elif fields.start_on < today and (template is None or fields.start_on != template.start_on):
        fields.add_error("start_on", f"The start date is in the past; choose {today:%b %-d, %Y} or later.")
    if not fields.errors.get("frequency"):
        _check_end(fields, done=template.next_n if template is not None else 0)


def _check_lines(fields: TemplateFields) -> None:
    if not fields.lines:
        fields.add_error("lines", "Add at least one line.")
        return
    if len(fields.lines) > MAX_LINES:
        fields.add_error("lines", f"A recurring invoice has at most {MAX_LINES} lines.")
    for position, line in enumerate(fields.lines, start=1):
        if not line.description.strip():
            fields.add_error("lines", f"Line {position}: enter a description.")
        if len(line.description) > 500:
            fields.add_error("lines", f"Line {position}: the description is longer than 500 characters.")
        if line.quantity < 0 or line.unit_price_cents < 0:
            fields.add_error("lines", f"Line {position}: the quantity and the unit price can't be negative.")
    if not fields.errors.get("lines"):
        try:
            compute_totals(fields.lines, fields.tax_rate)
        except TotalsError as error:
            fields.add_error("lines" if "line" in str(error) or "total" in str(error) else "tax_rate", str(error))


def _check_end(fields: TemplateFields, *, done: int) -> None:
    """The end: a date on or after the start, or a number of invoices, or none; never more than
    ``MAX_INVOICES`` invoices, and never before the dates already handled."""
    if fields.end_on is not None and fields.count is not None:
        fields.add_error("end_on", "Choose an end date or a number of invoices, not both.")
        return
    if fields.count is not None and not 1 <= fields.count <= schedule.MAX_INVOICES:
        fields.add_error("count", f"Enter a number of invoices from 1 to {LIMIT}.")
        return
    if fields.end_on is not None and fields.end_on < fields.start_on:
        fields.add_error("end_on", "The end date is before the start date.")
        return
    total = schedule.dates_count(fields.start_on, fields.frequency, end_on=fields.end_on, count=fields.count)
    if fields.end_on is not None and total > schedule.MAX_INVOICES:
        fields.add_error(
            "end_on", f"That is more than {LIMIT} invoices; choose an earlier end date or a number of invoices."
        )
    elif total < done:
        name = "count" if fields.count is not None else "end_on"
        fields.add_error(name, f"{done} date(s) of this schedule have already passed; it can't end before them.")


def _refuse_if_errors(fields: TemplateFields) -> None:
    if fields.errors:
        raise RecurringError(errors=fields.errors)


def _write_lines(template: RecurringInvoice, lines: list[Line]) -> None:
    template.lines.all().delete()
    RecurringLine.objects.bulk_create(
        RecurringLine(
            template=template,
            position=position,
            description=line.description.strip(),
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
        )
        for position, line in enumerate(lines, start=1)
    )


def _apply(template: RecurringInvoice, fields: TemplateFields) -> None:
    template.customer = fields.customer
    template.frequency, template.start_on = fields.frequency, fields.start_on
    template.end_on, template.count = fields.end_on, fields.count
    template.terms, template.tax_rate, template.memo = fields.terms, fields.tax_rate, fields.memo.strip()
    template.delivery = fields.delivery
    template.next_on = next_date(template)


def next_date(template: RecurringInvoice) -> date | None:
    """The date of ``template.next_n``, or None when the schedule has no more."""
    found = template.dates(first=template.next_n)[:1] if template.next_n < template.dates_total else []
    return found[0][1] if found else None


def summary(template: RecurringInvoice) -> dict[str, object]:
    """What the history keeps of a template's settings (before and after an edit)."""
    return {
        "customer": template.customer_id,
        "frequency": template.frequency,
        "start_on": template.start_on.isoformat(),
        "end_on": template.end_on.isoformat() if template.end_on else None,
        "count": template.count,
        "terms": template.terms,
        "tax_rate": str(template.tax_rate),
        "delivery": template.delivery,
        "total_cents": template.totals.total_cents,
    }


@transaction.atomic
def recurring_create(
    *, biller: Biller, actor: User | None, api_key_id: int | None = None, fields: TemplateFields
) -> RecurringInvoice:
    template_check(biller, fields, today=biller.today(), template=None)
    _refuse_if_errors(fields)
    template = RecurringInvoice(biller=biller, created_by=actor)
    _apply(template, fields)
    template.save()
    _write_lines(template, fields.lines)
    RecurringChange.objects.create(
        api_key_id=api_key_id,
        template=template,
        actor=actor,
        kind=RecurringChange.Kind.CREATED,
        data={"after": summary(template)},
    )
    return template


def _locked(template: RecurringInvoice) -> RecurringInvoice:
    return RecurringInvoice.objects.select_for_update().select_related("biller", "customer").get(pk=template.pk)


def _move(template: RecurringInvoice, status: str) -> None:
    if status not in TRANSITIONS[template.status]:
        raise RecurringError(
            f"This recurring invoice is {template.get_status_display().lower()}; it can't be "
            f"{TemplateStatus(status).label.lower()} now."
        )
    template.status = status


@transaction.atomic
def recurring_update(
    *, template: RecurringInvoice, actor: User | None, api_key_id: int | None = None, fields: TemplateFields
) -> RecurringInvoice:
    """Edit a template: the invoices not yet issued follow it; those issued stay as they are."""
    template = _locked(template)
    if template.status in (TemplateStatus.DELETED, TemplateStatus.FINISHED):
        raise RecurringError(f"This recurring invoice is {template.get_status_display().lower()}; it can't be edited.")
    template_check(template.biller, fields, today=template.biller.today(), template=template)
    _refuse_if_errors(fields)
    before = summary(template)
    moved = (fields.start_on, fields.frequency) != (template.start_on, template.frequency)
    _apply(template, fields)
    if moved:  # dates skipped ahead of time were dates of the old schedule
        dropped = [
            issue.scheduled_on.isoformat()
            for issue in RecurringIssue.objects.filter(template=template).order_by("scheduled_on")
        ]
        RecurringIssue.objects.filter(template=template).delete()
        if dropped:
            before["skipped"] = dropped
    _write_lines(template, fields.lines)
    finished = template.next_on is None
    if finished:
        _move(template, TemplateStatus.FINISHED)
    template.save()
    RecurringChange.objects.create(
        api_key_id=api_key_id,
        template=template,
        actor=actor,
        kind=RecurringChange.Kind.EDITED,
        data={"before": before, "after": summary(template)},
    )
    if finished:
        RecurringChange.objects.create(
            api_key_id=api_key_id, template=template, actor=actor, kind=RecurringChange.Kind.FINISHED
        )
    return template


def _reason(text: str) -> str:
    return " ".join(text.split())[:500]


@transaction.atomic
def recurring_pause(
    *, template: RecurringInvoice, actor: User | None, api_key_id: int | None = None, reason: str = ""
) -> RecurringInvoice:
    """No invoice is issued while paused; the dates that pass meanwhile are skipped on resuming."""
    template = _locked(template)
    _move(template, TemplateStatus.PAUSED)
    template.save(update_fields=["status"])
    RecurringChange.objects.create(
        api_key_id=api_key_id, template=template, actor=actor, kind=RecurringChange.Kind.PAUSED, reason=_reason(reason)
    )
    return template


@transaction.atomic
def recurring_resume(
    *, template: RecurringInvoice, actor: User | None, api_key_id: int | None = None, reason: str = ""
) -> RecurringInvoice:
    """Active again from today: each date that passed while paused is recorded as skipped (a
    resumed schedule never issues a pile of back invoices); today's date, if it is one, issues."""
    template = _locked(template)
    _move(template, TemplateStatus.ACTIVE)
    today = template.biller.today()
    now = timezone.now()
    passed = (
        template.dates(first=template.next_n, until=today - timedelta(days=1))
        if template.next_on and template.next_on < today
        else []
    )
    handled = set(
        RecurringIssue.objects.filter(template=template, n__in=[n for n, _ in passed]).values_list("n", flat=True)
    )
    RecurringIssue.objects.bulk_create(
        RecurringIssue(
            template=template,
            n=n,
            scheduled_on=day,
            status=IssueStatus.SKIPPED,
            actor=actor,
            note="Paused on that date",
            decided_at=now,
        )
        for n, day in passed
        if n not in handled
    )
    if passed:
        template.next_n = passed[-1][0] + 1
    template.next_on = next_date(template)
    finished = template.next_on is None
    if finished:
        _move(template, TemplateStatus.FINISHED)
    template.save(update_fields=["status", "next_n", "next_on"])
    RecurringChange.objects.create(
        api_key_id=api_key_id,
        template=template,
        actor=actor,
        kind=RecurringChange.Kind.RESUMED,
        reason=_reason(reason),
        data={"skipped": [day.isoformat() for _, day in passed]},
    )
    if finished:
        RecurringChange.objects.create(
            api_key_id=api_key_id, template=template, actor=actor, kind=RecurringChange.Kind.FINISHED
        )
    return template


@transaction.atomic
def recurring_delete(
    *, template: RecurringInvoice, actor: User | None, api_key_id: int | None = None, reason: str = ""
) -> RecurringInvoice:
    """No more invoices; those issued stay, and so does the history. An invoice held for review is
    skipped."""
    template = _locked(template)
    _move(template, TemplateStatus.DELETED)
    template.next_on = None
    template.save(update_fields=["status", "next_on"])
    RecurringIssue.objects.filter(template=template, status=IssueStatus.REVIEW).update(
        status=IssueStatus.SKIPPED, actor=actor, note="The recurring invoice was deleted", decided_at=timezone.now()
    )
    RecurringChange.objects.create(
        api_key_id=api_key_id, template=template, actor=actor, kind=RecurringChange.Kind.DELETED, reason=_reason(reason)
    )
    return template


@transaction.atomic
def recurring_skip(
    *, template: RecurringInvoice, actor: User | None, api_key_id: int | None = None, scheduled_on: date, reason: str
) -> RecurringIssue:
    """Skip one date: an upcoming one (no invoice will be issued for it) or one held for review."""
    reason = _reason(reason)
    if not reason:
        raise RecurringError("Enter the reason for skipping this date.", field="reason")
    template = _locked(template)
    if template.status in (TemplateStatus.DELETED, TemplateStatus.FINISHED):
        raise RecurringError(f"This recurring invoice is {template.get_status_display().lower()}.")
    issue = RecurringIssue.objects.filter(template=template, scheduled_on=scheduled_on).first()
    now = timezone.now()
    if issue is not None and issue.status != IssueStatus.REVIEW:
        raise RecurringError(
            f"The invoice of {scheduled_on:%b %-d, %Y} is already {issue.get_status_display().lower()}."
        )
    if issue is None:
        n = next(
            (n for n, day in template.dates(first=template.next_n, until=scheduled_on) if day == scheduled_on), None
        )
        if n is None:
            raise RecurringError(
                f"{scheduled_on:%b %-d, %Y} is not an upcoming date of this recurring invoice.", field="scheduled_on"
            )
        issue = RecurringIssue(template=template, n=n, scheduled_on=scheduled_on)
    issue.status, issue.actor, issue.note, issue.decided_at = IssueStatus.SKIPPED, actor, reason, now
    issue.save()
    RecurringChange.objects.create(
        api_key_id=api_key_id,
        template=template,
        actor=actor,
        kind=RecurringChange.Kind.SKIPPED,
        reason=reason,
        data={"date": scheduled_on.isoformat()},
    )
    return issue


def make_invoice(template: RecurringInvoice, *, issue_date: date, actor: User | None) -> Invoice:
    """The invoice of one date, through the invoices' own action: numbering, totals, the
    ``invoice.created`` webhook and Auto Pay (its ``invoices_changed`` hook) as for any invoice."""
    draft = InvoiceDraft(
        customer=template.customer,
        issue_date=issue_date,
        lines=template.invoice_lines(),
        terms=template.terms,
        tax_rate=template.tax_rate,
        memo=template.memo,
    )
    return invoice_create(biller=template.biller, actor=actor, draft=draft)


def email_invoice(invoice: Invoice, actor: User | None) -> str:
    """Email the invoice like the console's Send; the reason it could not be, or ""."""
    try:
        with transaction.atomic():  # a refusal leaves the invoice, unsent
            invoice_send(invoice=invoice, actor=actor)
    except InvoiceError as error:
        return f"Not emailed: {error}"
    return ""


@transaction.atomic
def recurring_issue_send(*, issue: RecurringIssue, actor: User | None) -> RecurringIssue:
    """Send an invoice held for review: it is made now, dated today, and emailed."""
    template = _locked(issue.template)
    issue = RecurringIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != IssueStatus.REVIEW:
        raise RecurringError(
            f"The invoice of {issue.scheduled_on:%b %-d, %Y} is already {issue.get_status_display().lower()}."
        )
    if template.status == TemplateStatus.DELETED:
        raise RecurringError("This recurring invoice was deleted.")
    try:
        invoice = make_invoice(template, issue_date=max(issue.scheduled_on, template.biller.today()), actor=actor)
    except InvoiceError as error:
        raise RecurringError(errors=error.errors) from None
    issue.status, issue.invoice, issue.actor, issue.decided_at = IssueStatus.ISSUED, invoice, actor, timezone.now()
    issue.note = email_invoice(invoice, actor)
    issue.emailed = not issue.note
    issue.save()
    RecurringChange.objects.create(
        template=template,
        actor=actor,
        kind=RecurringChange.Kind.SENT,
        data={"date": issue.scheduled_on.isoformat(), "invoice": invoice.number},
    )
    return issue
