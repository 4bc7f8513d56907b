from django.db import models


class InvoiceStatus(models.TextChoices):
    """Derived from the invoice's amounts and dates (see amounts.py); never stored."""

    OPEN = "open", "Open"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"
    VOID = "void", "Void"
