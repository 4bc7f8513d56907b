"""The email outbox: every email Remit sends is first a row here, written in the same
transaction as the change that caused it, then delivered by the worker (see ``actions.py``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboundEmail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be delivered"
        SENT = "sent", "Delivered to the mail server"
        FAILED = "failed", "Gave up after repeated failures"

    # pending → sent; pending → failed (after the last attempt); failed → pending (an operator retries).
    TRANSITIONS = {
        Status.PENDING: {Status.SENT, Status.FAILED},
        Status.FAILED: {Status.PENDING},
        Status.SENT: set(),
    }

    biller = models.ForeignKey(
        "billers.Biller", on_delete=models.SET_NULL, null=True, blank=True, related_name="outbound_emails"
    )
    from_email = models.CharField(max_length=320)
    recipients = models.JSONField(help_text="Every envelope recipient: To, Cc and Bcc.")
    subject = models.CharField(max_length=998)
    message_id = models.CharField(max_length=998, unique=True)
    raw = models.BinaryField(help_text="The complete MIME message, exactly as it will be delivered.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.recipients)}"
