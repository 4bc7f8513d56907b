"""The email outbox: every email Remit sends is first a row here, written in the same
transaction as the change that caused it, then delivered by the worker (see ``actions.py``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from remit.notifications.categories import EmailCategory


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


class OptOutHow(models.TextChoices):
    """How a person stopped (or resumed) a kind of email; shown to the biller with each opt-out."""

    PREFERENCES = "preferences", "Portal email preferences"
    ONE_CLICK = "one_click", "One-click unsubscribe in their mail app"
    LINK_PAGE = "link_page", "Unsubscribe link in an email"


class EmailOptOut(models.Model):
    """An address that does not want one category of a biller's non-essential emails
    (``categories.EmailCategory``). Keyed by address, not by login: a billing address that is nobody's
    portal login can opt out too, and a portal user's preferences are the rows of their email.
    Written only by ``preferences.py``; read by ``actions.email_send_optional``."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="email_opt_outs")
    address = models.CharField(max_length=320, help_text="Normalised: trimmed and lowercase.")
    category = models.CharField(max_length=20, choices=EmailCategory.choices)
    how = models.CharField(max_length=20, choices=OptOutHow.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["address", "category"]
        constraints = [
            models.UniqueConstraint(fields=["biller", "address", "category"], name="email_opt_out_once"),
            models.CheckConstraint(condition=models.Q(address=Lower("address")), name="email_opt_out_lowercase"),
        ]

    def __str__(self) -> str:
        return f"{self.address}: no {self.category}"


class EmailPreferenceChange(models.Model):
    """The history of opt-outs (append-only): who stopped or resumed which emails, when and how.
    ``actor`` is the portal user who changed their preferences; empty for the unsubscribe link, whose
    signature stands for the address's owner."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="email_preference_changes")
    address = models.CharField(max_length=320)
    category = models.CharField(max_length=20, choices=EmailCategory.choices)
    opted_out = models.BooleanField(help_text="True: stopped receiving; false: receives again.")
    how = models.CharField(max_length=20, choices=OptOutHow.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["biller", "address"], name="email_pref_change_address")]
