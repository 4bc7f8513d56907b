"""Statements of account: whether a customer gets one every month, and every statement emailed.

The statement itself is never stored: it is computed from the books each time (``core.py``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class MonthlyStatements(models.Model):
    """A customer's monthly statement switch (no row: off). Changed only by
    ``actions.monthly_statements_set``, which records each change as a ``StatementEvent``."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="monthly_statements"
    )
    enabled = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["enabled"], name="monthly_statements_on", condition=Q(enabled=True))]


class StatementEvent(models.Model):
    """Append-only history: the switch turned on or off, and every statement emailed (by hand or the
    monthly run). A monthly statement is recorded once per customer and month — the unique
    constraint is what makes two workers, or a re-run, never send it twice."""

    class Kind(models.TextChoices):
        MONTHLY_ON = "monthly_on", "Monthly statements turned on"
        MONTHLY_OFF = "monthly_off", "Monthly statements turned off"
        EMAILED = "emailed", "Statement emailed"
        MONTHLY_SENT = "monthly_sent", "Monthly statement sent"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="statement_events")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    closing_cents = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "customer", "period_start", condition=Q(kind="monthly_sent"), name="monthly_statement_once"
            ),
        ]
