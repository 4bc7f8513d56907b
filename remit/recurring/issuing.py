"""Issuing: each date of each active schedule that has come, once.

``recurring_run`` is what the worker's periodic task and ``remit recurring run`` call. Each date is
handled in its own transaction, under the template's row lock; the ``RecurringIssue`` row of the
date is written first, and its uniqueness (template, date) makes a second worker, a re-run or a
retry after a crash fail instead of issuing the date twice.

Catch-up: a worker that was down finds the dates it missed and issues each once, dated the day it
runs (the customer's terms count from the day they receive the invoice, not from a day already past).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.invoices.actions import InvoiceError
from remit.recurring.actions import email_invoice, make_invoice, next_date
from remit.recurring.models import (
    Delivery,
    IssueStatus,
    RecurringChange,
    RecurringInvoice,
    RecurringIssue,
    TemplateStatus,
)

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    issues: list[RecurringIssue] = field(default_factory=list)

    def of(self, status: str) -> list[RecurringIssue]:
        return [issue for issue in self.issues if issue.status == status]


def recurring_run(*, today: date | None = None, now: datetime | None = None) -> RunReport:
    """Handle every date that has come (in each biller's time zone; ``today``: the same day for
    all, as ``--today`` says) of every active template."""
    now = now or timezone.now()
    report = RunReport()
    due = RecurringInvoice.objects.filter(status=TemplateStatus.ACTIVE, next_on__isnull=False).select_related("biller")
    # No biller's today is later than tomorrow in UTC: the templates due anywhere, in one query.
    due = due.filter(next_on__lte=today or (now.astimezone(UTC) + timedelta(days=1)).date())
    for template in due.order_by("pk").iterator():
        day = today or template.biller.today(now)
        if template.next_on is not None and template.next_on <= day:
            report.issues += recurring_issue_due(template_id=template.pk, today=day)
    return report


def recurring_issue_due(*, template_id: int, today: date) -> list[RecurringIssue]:
    """Every date of one template up to ``today`` not yet handled, each in its own transaction."""
    handled: list[RecurringIssue] = []
    collisions = 0
    while True:
        try:
            issue = _handle_next(template_id, today)
        except IntegrityError:
            # Another worker handled this date meanwhile (SQLite has no row lock): look again, it
            # has moved on. Should it not have, the next run will tell; never loop here for ever.
            collisions += 1
            if collisions > 3:
                log.error("Recurring invoice %s: the date after %d could not be handled.", template_id, len(handled))
                return handled
            continue
        if issue is None:
            return handled
        handled.append(issue)


@transaction.atomic
def _handle_next(template_id: int, today: date) -> RecurringIssue | None:
    template = RecurringInvoice.objects.select_for_update().select_related("biller", "customer").get(pk=template_id)
    if template.status != TemplateStatus.ACTIVE or template.next_on is None or template.next_on > today:
        return None
    n, day = template.next_n, template.next_on
    issue = RecurringIssue.objects.filter(template=template, scheduled_on=day).first()
    if issue is None:  # not skipped ahead of time
        issue = RecurringIssue.objects.create(template=template, n=n, scheduled_on=day, status=IssueStatus.REVIEW)
        if template.delivery == Delivery.SEND:
            _issue(template, issue, today)
    template.next_n = n + 1
    template.next_on = next_date(template)
    if template.next_on is None:
        template.status = TemplateStatus.FINISHED
        RecurringChange.objects.create(template=template, kind=RecurringChange.Kind.FINISHED)
    template.save(update_fields=["next_n", "next_on", "status"])
    return issue


def _issue(template: RecurringInvoice, issue: RecurringIssue, today: date) -> None:
    issue.decided_at = timezone.now()
    try:
        with transaction.atomic():  # a refused invoice leaves nothing behind
            invoice = make_invoice(template, issue_date=today, actor=None)
    except InvoiceError as error:
        # E.g. the customer was archived: the date is skipped, and says why, rather than retried forever.
        issue.status, issue.note = IssueStatus.SKIPPED, f"Not issued: {error}"[:500]
        issue.save()
        return
    issue.status, issue.invoice = IssueStatus.ISSUED, invoice
    issue.note = email_invoice(invoice, None)[:500]
    issue.emailed = not issue.note
    issue.save()
