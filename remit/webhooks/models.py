"""Webhooks: a biller's endpoints, the events Remit tells them about, and one delivery per event and
endpoint.

An event and its deliveries are written in the transaction of the change that caused them (an
invoice created, a payment settled…), so a receiver hears of a change if and only if it was
committed. Deliveries then work like the email outbox: claimed with a lease, retried with back-off,
every attempt recorded on the row (see ``delivery.py``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class EventType(models.TextChoices):
    INVOICE_CREATED = "invoice.created", "An invoice was created (in the console, the API or a CSV import)"
    INVOICE_PAID = "invoice.paid", "An invoice became paid in full"
    PAYMENT_SCHEDULED = "payment.scheduled", "A payment was scheduled (by a customer or by Auto Pay)"
    PAYMENT_SENT = "payment.sent", "A payment was sent to the bank in an ACH file"
    PAYMENT_SETTLED = "payment.settled", "A payment settled (or was recorded as received)"
    PAYMENT_RETURNED = "payment.returned", "The customer's bank returned a payment"
    AUTOPAY_PAYMENT_SCHEDULED = "autopay.payment_scheduled", "Auto Pay scheduled a payment"
    AUTOPAY_LIMIT_EXCEEDED = "autopay.limit_exceeded", "An invoice is above the customer's Auto Pay maximum"
    PAYMENT_HELD = "payment.held", "A payment was held for review"
    PAYMENT_APPROVED = "payment.approved", "A payment held for review was approved"
    PAYMENT_REJECTED = "payment.rejected", "A payment held for review was rejected (and cancelled)"
    CREDIT_CREATED = "credit.created", "A credit was issued (by the biller, or from an overpayment)"
    CREDIT_APPLIED = "credit.applied", "A credit was applied to an invoice"


class WebhookEndpoint(models.Model):
    """An address of the biller's that receives events. The signing secret is stored encrypted
    (``remit.lib.crypto``); after a rotation the previous one keeps signing too until
    ``previous_secret_expires_at``, so the receiver can switch without missing a delivery."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField("URL", max_length=2000)
    events = models.JSONField(default=list, help_text="The event types this endpoint receives.")
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField("active", default=True)
    created_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["biller", "is_active"], name="webhook_endpoint_biller")]

    def __str__(self) -> str:
        return self.url

    def event_labels(self) -> list[str]:
        return [event for event in EventType.values if event in self.events]


class WebhookEvent(models.Model):
    """Something that happened, as the receivers see it: ``payload`` is the object as the API shows
    it (ids, integer cents, ISO dates, bank accounts masked), taken when it happened."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=40, choices=EventType.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["biller", "-created_at"], name="webhook_event_biller_recent")]

    def __str__(self) -> str:
        return f"{self.type} {self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    DELIVERING = "delivering", "Being delivered"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint. pending → delivering (a worker holds the lease) → succeeded, or
    back to pending with a later ``next_attempt_at``, or failed once 24 hours have passed since the
    event. A resend puts a delivery back to pending, due now."""

    TRANSITIONS = {
        DeliveryStatus.PENDING: {DeliveryStatus.DELIVERING, DeliveryStatus.FAILED},
        DeliveryStatus.DELIVERING: {DeliveryStatus.SUCCEEDED, DeliveryStatus.PENDING, DeliveryStatus.FAILED},
        DeliveryStatus.SUCCEEDED: {DeliveryStatus.PENDING},
        DeliveryStatus.FAILED: {DeliveryStatus.PENDING},
    }

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint("endpoint", "event", name="webhook_delivery_once_per_endpoint")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk}"


class WebhookChange(models.Model):
    """Append-only history of the biller's endpoints: who added, changed, disabled, deleted one,
    rotated its secret or resent a delivery. Kept when the endpoint is deleted."""

    class Kind(models.TextChoices):
        CREATED = "created", "Endpoint added"
        UPDATED = "updated", "Endpoint changed"
        DISABLED = "disabled", "Endpoint disabled"
        ENABLED = "enabled", "Endpoint enabled"
        DELETED = "deleted", "Endpoint deleted"
        SECRET_ROTATED = "secret_rotated", "Signing secret rotated"
        RESENT = "resent", "Delivery resent"

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="webhook_changes")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    url = models.CharField(max_length=2000, help_text="The endpoint's URL at the time.")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
