"""The Issue credit form (customer page)."""

from __future__ import annotations

from typing import Any

from django import forms

from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.ledger.amounts import available_sql
from remit.lib.money import format_cents
from remit.site.forms import MoneyField


class InvoiceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} — {format_cents(obj.available_cents)} left to pay"


class CreditForm(forms.Form):
    amount = MoneyField(label="Amount")
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The customer sees it on the credit note.",
    )
    invoice = InvoiceChoice(
        label="Apply to invoice",
        queryset=Invoice.objects.none(),
        required=False,
        empty_label="None: keep it as account credit",
        help_text="Account credit pays the customer's next invoices: Auto Pay and the portal use it first.",
    )

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        open_invoices = (
            Invoice.objects.filter(customer=customer, voided_at__isnull=True)
            .annotate(left=available_sql())
            .filter(left__gt=0)
            .order_by("due_date", "pk")
        )
        self.fields["invoice"].queryset = open_invoices  # type: ignore[attr-defined]
