"""The kinds of email a person may choose not to receive. Everything else Remit sends — payment
confirmations, receipts, security and access emails — is essential and always goes."""

from __future__ import annotations

from django.db import models


class EmailCategory(models.TextChoices):
    REMINDERS = "reminders", "Payment reminders"
    STATEMENTS = "statements", "Statements of account"
    AUTOPAY = "autopay", "Auto Pay notices"
