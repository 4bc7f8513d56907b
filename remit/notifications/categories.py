"""The kinds of email a person may choose not to receive. Everything else Remit sends — payment
confirmations, receipts, security and access emails — is essential and always goes."""

from __future__ import annotations

from django.db import models


class EmailCategory(models.TextChoices):
    REMINDERS = "reminders", "Payment reminders"
    STATEMENTS = "statements", "Statements of account"
    AUTOPAY = "autopay", "Auto Pay notices"


# How each category reads inside a sentence ("You won't receive payment reminders from …").
IN_A_SENTENCE = {
    EmailCategory.REMINDERS: "payment reminders",
    EmailCategory.STATEMENTS: "statements of account",
    EmailCategory.AUTOPAY: "Auto Pay notices",
}

# What each category is, for the portal's Email preferences page.
DESCRIPTIONS = {
    EmailCategory.REMINDERS: "Before and after an invoice's due date, while it is unpaid and not already scheduled.",
    EmailCategory.STATEMENTS: "A statement of your account, when it is sent to you (for example monthly).",
    EmailCategory.AUTOPAY: (
        "The advance notice of each Auto Pay payment of a business account. A personal account always "
        "receives it: the law requires notice of each payment's amount and date."
    ),
}

# What always goes, whatever the preferences say (listed on the Email preferences page).
ALWAYS_SENT = [
    "Payment confirmations and receipts",
    "Returned, rejected or moved payments",
    "Auto Pay turned on, changed, turned off or skipped, and the notice of each Auto Pay payment of a personal account",
    "Sign-in, password, invitation and bank account emails",
    "Invoices the biller sends you",
]
