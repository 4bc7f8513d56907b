"""Payments against invoices, and how each is split across them (allocations).

A payment's status moves only along ``Payment.TRANSITIONS``, only inside actions, and every move
appends a ``PaymentEvent``. ACH payments (issue 5) start *scheduled*; a payment the biller received
outside Remit (a cheque, a wire) is recorded as *settled* at once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class PaymentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent to the bank"
    SETTLED = "settled", "Settled"
    RETURNED = "returned", "Returned"
    CANCELLED = "cancelled", "Cancelled"


class PaymentMethod(models.TextChoices):
    ACH = "ach", "ACH debit"
    CHECK = "check", "Check"
    WIRE = "wire", "Wire transfer"
    CASH = "cash", "Cash"
    OTHER = "other", "Other"


# Money that has cleared, and money on its way: what invoices' paid and pending amounts count.
CLEARED = (PaymentStatus.SETTLED,)
IN_FLIGHT = (PaymentStatus.SCHEDULED, PaymentStatus.SENT)


class Payment(models.Model):
    TRANSITIONS = {
        PaymentStatus.SCHEDULED: {PaymentStatus.SENT, PaymentStatus.CANCELLED},
        PaymentStatus.SENT: {PaymentStatus.SETTLED, PaymentStatus.RETURNED},
        PaymentStatus.SETTLED: {PaymentStatus.RETURNED},
        PaymentStatus.RETURNED: set(),
        PaymentStatus.CANCELLED: set(),
    }

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="payments")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices)
    amount_cents = models.BigIntegerField()
    pay_on = models.DateField(
        help_text="For ACH: the date the money leaves the customer's account. Otherwise: received on."
    )
    reference = models.CharField(max_length=100, blank=True, help_text="Check number, wire reference…")
    is_autopay = models.BooleanField(default=False)
    created_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pay_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_amount_positive")]
        indexes = [
            models.Index(fields=["biller", "status", "pay_on"], name="payment_biller_status_day"),
            models.Index(fields=["customer", "-pay_on"], name="payment_customer_recent"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk}"


class Allocation(models.Model):
    """The part of a payment that pays one invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="allocations")
    amount_cents = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint("payment", "invoice", name="allocation_one_per_invoice"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="allocation_amount_positive"),
        ]


class PaymentEvent(models.Model):
    """Append-only history: every status change, with who made it and why."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    from_status = models.CharField(max_length=10, choices=PaymentStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=PaymentStatus.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
