"""An invoice's lines, every send, its history, and the counter its number comes from. The invoice
itself (with its amounts) is part of the books, ``remit.ledger.models``, re-exported here."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from remit.ledger.models import (
    TERMS_CHOICES as TERMS_CHOICES,
)
from remit.ledger.models import (
    Invoice as Invoice,
)


class InvoiceCounter(models.Model):
    """The next invoice number of a biller; locked while a number is taken, so none repeats or goes missing."""

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, related_name="invoice_counter")
    next_number = models.PositiveBigIntegerField(default=1)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price_cents = models.BigIntegerField()
    amount_cents = models.BigIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint("invoice", "position", name="invoice_line_position_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gte=0, unit_price_cents__gte=0, amount_cents__gte=0),
                name="invoice_line_not_negative",
            ),
        ]


class InvoiceSend(models.Model):
    """One sending of an invoice by email (the first, or a resend)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="sends")
    recipients = models.JSONField()
    email = models.ForeignKey("notifications.OutboundEmail", on_delete=models.SET_NULL, null=True, related_name="+")
    sent_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]


class InvoicePdf(models.Model):
    """An invoice's PDF as last drawn, under its version: the SHA-256 of everything it prints
    (``remit.invoices.pdf.PrintedInvoice``). A cache of what ``invoice_pdf_bytes`` draws, replaced
    when the version changes; not a record (the invoice's history is ``InvoiceEvent``)."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="kept_pdf")
    version = models.CharField(max_length=64)
    pdf = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)


class InvoiceEvent(models.Model):
    """Append-only history of an invoice."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        IMPORTED = "imported", "Imported"
        UPDATED = "updated", "Edited"
        SENT = "sent", "Emailed"
        VOIDED = "voided", "Voided"
        PAYMENT_RECORDED = "payment_recorded", "Payment recorded"
        CREDIT_APPLIED = "credit_applied", "Credit applied"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    # The API key that made the change (its actor is None). RESTRICT: keys are revoked, never deleted,
    # and a key that wrote history can't be deleted alone; its biller's deletion still takes both.
    api_key = models.ForeignKey("api.ApiKey", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
