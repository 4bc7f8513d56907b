"""What the console reads about recurring invoices, always starting from the biller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from remit.billers.models import Biller
from remit.recurring.models import IssueStatus, RecurringInvoice, RecurringIssue, TemplateStatus

UPCOMING_DAYS = 31


def templates_of(biller: Biller) -> QuerySet[RecurringInvoice]:
    """The biller's recurring invoices, deleted ones left out."""
    return (
        RecurringInvoice.objects.filter(biller=biller)
        .exclude(status=TemplateStatus.DELETED)
        .select_related("customer")
        .prefetch_related("lines")
    )


def template_of(biller: Biller, template_id: int) -> RecurringInvoice:
    """One of the biller's recurring invoices; 404 for anyone else's (or a deleted one)."""
    return get_object_or_404(templates_of(biller), pk=template_id)


def issue_of(biller: Biller, issue_id: int) -> RecurringIssue:
    return get_object_or_404(
        RecurringIssue.objects.select_related("template__customer"), template__biller=biller, pk=issue_id
    )


def held_for_review(biller: Biller) -> QuerySet[RecurringIssue]:
    return (
        RecurringIssue.objects.filter(template__biller=biller, status=IssueStatus.REVIEW)
        .exclude(template__status=TemplateStatus.DELETED)
        .select_related("template__customer")
        .prefetch_related("template__lines")
        .order_by("scheduled_on", "pk")
    )


@dataclass
class Upcoming:
    template: RecurringInvoice
    scheduled_on: date
    skipped: RecurringIssue | None  # skipped ahead of time (with who and why)


def upcoming(
    biller: Biller, *, today: date, days: int = UPCOMING_DAYS, customer_id: int | None = None
) -> list[Upcoming]:
    """The dates of active schedules from today to ``days`` ahead, soonest first, skipped ones included."""
    until = today + timedelta(days=days)
    templates = templates_of(biller).filter(status=TemplateStatus.ACTIVE, next_on__lte=until)
    if customer_id is not None:
        templates = templates.filter(customer_id=customer_id)
    templates_list = list(templates)
    skipped = {
        (issue.template_id, issue.scheduled_on): issue
        for issue in RecurringIssue.objects.filter(
            template__in=templates_list, status=IssueStatus.SKIPPED, scheduled_on__gte=today
        ).select_related("actor")
    }
    rows = [
        Upcoming(template, day, skipped.get((template.pk, day)))
        for template in templates_list
        for _, day in template.dates(first=template.next_n, until=until)
    ]
    return sorted(rows, key=lambda row: (row.scheduled_on, row.template.customer.name, row.template.pk))


def next_dates(template: RecurringInvoice, *, limit: int = 6) -> list[Upcoming]:
    """The template's next ``limit`` dates, however far, skipped ones included."""
    if template.status != TemplateStatus.ACTIVE or template.next_on is None:
        return []
    days = [day for _, day in template.dates(first=template.next_n)[:limit]]
    skipped = {
        issue.scheduled_on: issue
        for issue in RecurringIssue.objects.filter(
            template=template, status=IssueStatus.SKIPPED, scheduled_on__in=days
        ).select_related("actor")
    }
    return [Upcoming(template, day, skipped.get(day)) for day in days]
