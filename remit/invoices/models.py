"""Invoices, their lines, every send, and their history. Amounts are integer cents.

``paid_cents`` and ``pending_cents`` are sums of payment allocations kept on the invoice so that
lists, the dashboard and AutoPay can filter and sum without joins; they are written only by
``invoices.actions.refresh_invoice_amounts`` inside the transaction that changed the payments,
and the database refuses any state where more is paid or pending than the invoice's total.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from remit.invoices import amounts
from remit.invoices.status import InvoiceStatus
from remit.invoices.totals import TERMS_LABELS

TERMS_CHOICES = [(key, label) for key, label in TERMS_LABELS.items()] + [("custom", "Custom due date")]


class InvoiceCounter(models.Model):
    """The next invoice number of a biller; locked while a number is taken, so none repeats or goes missing."""

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, related_name="invoice_counter")
    next_number = models.PositiveBigIntegerField(default=1)


class Invoice(models.Model):
    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="invoices")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField("invoice number", max_length=40)
    issue_date = models.DateField()
    due_date = models.DateField()
    terms = models.CharField(max_length=20, choices=TERMS_CHOICES, default="net_30")
    memo = models.TextField(blank=True, max_length=2000)
    tax_rate = models.DecimalField("tax rate (%)", max_digits=6, decimal_places=3, default=Decimal(0))
    subtotal_cents = models.BigIntegerField()
    tax_cents = models.BigIntegerField(default=0)
    total_cents = models.BigIntegerField()
    paid_cents = models.BigIntegerField(default=0, editable=False)
    pending_cents = models.BigIntegerField(default=0, editable=False)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint("biller", "number", name="invoice_number_unique_per_biller"),
            models.CheckConstraint(
                condition=Q(subtotal_cents__gte=0, tax_cents__gte=0), name="invoice_parts_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(total_cents=F("subtotal_cents") + F("tax_cents")), name="invoice_total_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(paid_cents__gte=0, pending_cents__gte=0), name="invoice_payments_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(paid_cents__lte=F("total_cents") - F("pending_cents")), name="invoice_never_overpaid"
            ),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"),
        ]
        indexes = [
            models.Index(fields=["biller", "-issue_date", "-id"], name="invoice_biller_recent"),
            models.Index(fields=["biller", "due_date"], name="invoice_biller_due"),
            models.Index(fields=["customer", "-issue_date"], name="invoice_customer_recent"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    @property
    def balance_cents(self) -> int:
        return amounts.balance_cents(total=self.total_cents, paid=self.paid_cents)

    @property
    def available_cents(self) -> int:
        return amounts.available_cents(
            total=self.total_cents, paid=self.paid_cents, pending=self.pending_cents, voided=self.is_void
        )

    def status_on(self, today: date) -> InvoiceStatus:
        return amounts.invoice_status(
            total=self.total_cents, paid=self.paid_cents, due_date=self.due_date, voided=self.is_void, today=today
        )

    @property
    def status(self) -> InvoiceStatus:
        return self.status_on(timezone.localdate())

    @property
    def terms_label(self) -> str:
        return TERMS_LABELS.get(self.terms, "")


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


class InvoiceEvent(models.Model):
    """Append-only history of an invoice."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        IMPORTED = "imported", "Imported"
        UPDATED = "updated", "Edited"
        SENT = "sent", "Emailed"
        VOIDED = "voided", "Voided"
        PAYMENT_RECORDED = "payment_recorded", "Payment recorded"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
