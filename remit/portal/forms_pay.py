"""The Pay Outstanding Bills form (help article, steps 8–10). It parses; payment_schedule decides."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from remit.invoices.models import Invoice
from remit.lib.money import format_cents
from remit.payments.disclosure import Viewer, choice_label
from remit.payments.models import BankAccount
from remit.site.forms import MoneyField


class PayForm(forms.Form):
    invoices = forms.TypedMultipleChoiceField(
        label="Invoices to pay",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one invoice to pay."},
    )
    bank_account = forms.TypedChoiceField(
        label="Pay from", coerce=int, error_messages={"required": "Choose the bank account to pay from."}
    )
    pay_on = forms.DateField(
        label="Pay On",
        help_text="The date the money leaves your bank account. Banking days only.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date, e.g. 2026-12-01."},
    )
    apply_credit = forms.BooleanField(label="Apply credit", required=False)
    total = MoneyField(label="Total Payment", help_text="You may pay less; the oldest due date is paid first.")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(
        self,
        *args: Any,
        bills: list[Invoice],
        accounts: list[BankAccount],
        viewer: Viewer,
        earliest: date,
        latest: date,
        credit_cents: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.bills = bills
        self.credit_cents = credit_cents
        if credit_cents <= 0:
            del self.fields["apply_credit"]
        else:
            self.fields["apply_credit"].help_text = (
                f"Use your {format_cents(credit_cents)} of available credit first, oldest due date first. "
                "The Total Payment is what is left."
            )
        invoices: Any = self.fields["invoices"]
        invoices.choices = [(invoice.pk, invoice.number) for invoice in bills]
        accounts_field: Any = self.fields["bank_account"]
        accounts_field.choices = [(a.pk, choice_label(a, viewer=viewer)) for a in accounts]
        self.fields["pay_on"].widget.attrs.update({"min": earliest.isoformat(), "max": latest.isoformat()})
        if len(accounts) == 1:
            self.fields["bank_account"].initial = accounts[0].pk

    def clean_total(self) -> int:
        total = self.cleaned_data.get("total")
        if total is None:
            raise forms.ValidationError("Enter the Total Payment.")
        return int(total)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # $0.00 is a Total Payment only when credit pays the selected invoices (then nothing is debited).
        if data.get("total") == 0 and not data.get("apply_credit"):
            self.add_error("total", "The Total Payment must be more than $0.00.")
        return data
