"""Auto Pay: a customer account's standing instruction to pay each new invoice by itself.

``AutoPay`` is the setting (one per customer account), ``AutoPayChange`` the append-only record of
every change, and ``AutoPayClaim`` the database's guarantee that Auto Pay pays an invoice at most
once: one claim per invoice, ever, holding the payment it made. A claim is deleted only when Auto
Pay itself withdraws a payment that was never sent (turned off, account removed, invoice moved);
a payment the customer skipped or cancelled keeps its claim, so Auto Pay never schedules it again.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from remit.ledger.models import (
    AutoPayClaim as AutoPayClaim,
)

MAX_DAYS = 30


class When(models.TextChoices):
    BEFORE = "before", "before the due date"
    AFTER = "after", "after the due date"


class AutoPay(models.Model):
    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="autopay")
    enabled = models.BooleanField("Automatically Pay Bills", default=False)
    max_cents = models.BigIntegerField("Maximum Payment Amount", null=True, blank=True)
    bank_account = models.ForeignKey(
        "payments.BankAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    days = models.PositiveSmallIntegerField(default=0)
    when = models.CharField(max_length=6, choices=When.choices, default=When.BEFORE)
    # Bumped by every change: a scheduled Auto Pay payment made under an older version is re-planned.
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "Auto Pay setting"
        constraints = [
            models.CheckConstraint(condition=Q(days__lte=MAX_DAYS), name="autopay_days_at_most_30"),
            models.CheckConstraint(
                condition=Q(enabled=False) | Q(max_cents__gt=0, bank_account__isnull=False),
                name="autopay_on_needs_maximum_and_account",
            ),
        ]
        indexes = [models.Index(fields=["enabled"], name="autopay_enabled")]

    def __str__(self) -> str:
        return f"Auto Pay for {self.customer_id}: {'on' if self.enabled else 'off'}"

    @property
    def offset(self) -> int:
        """Banking days from the due date: negative before, positive after."""
        return -self.days if self.when == When.BEFORE else self.days

    def describe_days(self) -> str:
        if self.days == 0:
            return "on the due date"
        unit = "business day" if self.days == 1 else "business days"
        return f"{self.days} {unit} {self.get_when_display()}"


class AutoPayChange(models.Model):
    """Who changed Auto Pay, when, and the values before and after."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="autopay_changes")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    actor_email = models.EmailField(blank=True)
    reason = models.CharField(max_length=300, blank=True)
    before = models.JSONField()
    after = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    SHOWN = ("enabled", "max_cents", "bank_account_id", "days", "when")

    @property
    def changed(self) -> bool:
        """Whether anything a person sees on the Auto Pay page differs between before and after."""
        return any(self.before.get(name) != self.after.get(name) for name in self.SHOWN)


class AutoPayRefusal(models.Model):
    """An invoice Auto Pay did not pay because the biller refuses payments above the customer's
    limit (``payments.controls``). One row per invoice: the customer's admins are told once, however
    often the sweep looks at the invoice again; the invoice stays for them to pay by hand."""

    invoice = models.OneToOneField("invoices.Invoice", on_delete=models.CASCADE, related_name="autopay_refusal")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Auto Pay refused invoice {self.invoice_id}"
