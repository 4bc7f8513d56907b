"""Recurring invoices: a customer's template, each date of its schedule once handled, and the
template's history."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils import timezone

from remit.invoices.totals import Line, Totals, compute_totals
from remit.lib.terms import TERMS_LABELS
from remit.recurring import schedule

TERMS_CHOICES = list(TERMS_LABELS.items())  # no "custom": each invoice's due date follows its terms


class Frequency(models.TextChoices):
    WEEKLY = schedule.WEEKLY, "Every week"
    MONTHLY = schedule.MONTHLY, "Every month"
    QUARTERLY = schedule.QUARTERLY, "Every quarter"
    YEARLY = schedule.YEARLY, "Every year"


class Delivery(models.TextChoices):
    SEND = "send", "Send automatically"
    REVIEW = "review", "Hold for review"


class TemplateStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"
    DELETED = "deleted", "Deleted"


# The only changes of a template's status; ``actions._move`` checks them.
TRANSITIONS: dict[str, set[str]] = {
    TemplateStatus.ACTIVE: {TemplateStatus.PAUSED, TemplateStatus.FINISHED, TemplateStatus.DELETED},
    TemplateStatus.PAUSED: {TemplateStatus.ACTIVE, TemplateStatus.FINISHED, TemplateStatus.DELETED},
    TemplateStatus.FINISHED: {TemplateStatus.DELETED},
    TemplateStatus.DELETED: set(),
}


class RecurringInvoice(models.Model):
    """A customer's recurring invoice: what each invoice says and when one is issued.

    ``next_n`` is the first date of the schedule not yet handled (issued, skipped or held for
    review); the worker moves it on under the row's lock. A deleted template stays, with its history.
    """

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="recurring_invoices")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="recurring_invoices")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    start_on = models.DateField("start date")
    end_on = models.DateField("end date", null=True, blank=True)
    count = models.PositiveSmallIntegerField("number of invoices", null=True, blank=True)
    terms = models.CharField(max_length=20, choices=TERMS_CHOICES)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    memo = models.TextField(blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.SEND)
    status = models.CharField(max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.ACTIVE)
    next_n = models.PositiveIntegerField(default=0)
    next_on = models.DateField(null=True, blank=True)  # date ``next_n``; None once the schedule is over
    created_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["customer__name", "pk"]
        indexes = [models.Index(fields=["status", "next_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(count__isnull=True), name="recurring_end_date_or_count"
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")), name="recurring_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(count__isnull=True) | Q(count__gte=1, count__lte=schedule.MAX_INVOICES),
                name="recurring_count_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} for {self.customer}"

    def dates(self, *, first: int = 0, until: date | None = None) -> list[tuple[int, date]]:
        return list(
            schedule.schedule_dates(
                self.start_on, self.frequency, end_on=self.end_on, count=self.count, first=first, until=until
            )
        )

    @property
    def dates_total(self) -> int:
        return min(
            schedule.dates_count(self.start_on, self.frequency, end_on=self.end_on, count=self.count),
            schedule.MAX_INVOICES,
        )

    def invoice_lines(self) -> list[Line]:
        return [Line(line.description, line.quantity, line.unit_price_cents) for line in self.lines.all()]

    @property
    def totals(self) -> Totals:
        """What each invoice of the template comes to (the invoices' own arithmetic)."""
        return compute_totals(self.invoice_lines(), self.tax_rate)

    def describe_end(self) -> str:
        if self.end_on:
            return f"until {self.end_on:%b %-d, %Y}"
        if self.count:
            return f"{self.count} invoice{'s' if self.count != 1 else ''}"
        return "no end date"


class RecurringLine(models.Model):
    template = models.ForeignKey(RecurringInvoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price_cents = models.BigIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint("template", "position", name="recurring_line_position_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gte=0, unit_price_cents__gte=0), name="recurring_line_not_negative"
            ),
        ]


class IssueStatus(models.TextChoices):
    ISSUED = "issued", "Issued"
    SKIPPED = "skipped", "Skipped"
    REVIEW = "review", "Waiting for review"


class RecurringIssue(models.Model):
    """One date of a template's schedule, handled: the invoice issued for it, a skip (ahead of time
    by a person, or by Remit when the invoice could not be made), or an invoice held for review.
    Unique per template and date, so no date is ever issued twice — two workers, a re-run, a crash."""

    template = models.ForeignKey(RecurringInvoice, on_delete=models.CASCADE, related_name="issues")
    n = models.PositiveIntegerField()
    scheduled_on = models.DateField()
    status = models.CharField(max_length=10, choices=IssueStatus.choices)
    invoice = models.OneToOneField(
        "invoices.Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="recurring_issue"
    )
    emailed = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)  # why skipped; why not emailed
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-scheduled_on", "-pk"]
        constraints = [
            models.UniqueConstraint("template", "scheduled_on", name="recurring_issue_once_per_date"),
            models.UniqueConstraint("template", "n", name="recurring_issue_once_per_n"),
        ]


class RecurringChange(models.Model):
    """Append-only history of a template: who did what, when, and why."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"
        SKIPPED = "skipped", "Skipped a date"
        SENT = "sent", "Sent a held invoice"
        FINISHED = "finished", "Finished"
        DELETED = "deleted", "Deleted"

    template = models.ForeignKey(RecurringInvoice, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The API key that made the change (its actor is None); RESTRICT as for InvoiceEvent.api_key.
    api_key = models.ForeignKey("api.ApiKey", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
