"""Forms for customers, invoices and recorded payments. They parse what was typed; the rules live in
the actions (customers/actions.py, invoices/actions.py, payments/actions.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.customers.rules import CustomerFields, parse_emails
from remit.invoices.models import TERMS_CHOICES
from remit.invoices.totals import Line
from remit.lib.money import MoneyError, parse_decimal
from remit.payments.models import PaymentMethod
from remit.site.forms import MoneyField


class DecimalTextField(forms.CharField):
    def __init__(self, *args: Any, places: int, what: str, **kwargs: Any) -> None:
        self.places, self.what = places, what
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> Decimal | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            return parse_decimal(text, places=self.places, what=self.what)
        except MoneyError as error:
            raise forms.ValidationError(str(error)) from None


class CustomerForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    billing_emails = forms.CharField(
        label="Billing email addresses",
        help_text="Invoices are emailed to each of them. Separate several addresses with commas.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reference = forms.CharField(
        label="Customer reference",
        max_length=64,
        required=False,
        help_text="Your own ID for this customer (optional). ACH debits carry it when it fits in 15 characters; "
        "a longer one goes as a short ID of its own, shown on the customer's page.",
    )
    address_line1 = forms.CharField(label="Address", max_length=200, required=False)
    address_line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    state = forms.CharField(label="State", max_length=100, required=False)
    postal_code = forms.CharField(label="ZIP code", max_length=20, required=False)
    country = forms.CharField(label="Country", max_length=2, initial="US", help_text="Two-letter code, e.g. US.")

    def clean_billing_emails(self) -> list[str]:
        valid, invalid = parse_emails(self.cleaned_data["billing_emails"])
        if invalid:
            raise forms.ValidationError(f"Not an email address: {', '.join(invalid)}.")
        return valid

    def fields_for_action(self) -> CustomerFields:
        return CustomerFields(**self.cleaned_data)

    @staticmethod
    def initial_for(customer: Customer) -> dict[str, Any]:
        names = ["name", "reference", "address_line1", "address_line2", "city", "state", "postal_code", "country"]
        return {**{n: getattr(customer, n) for n in names}, "billing_emails": ", ".join(customer.billing_emails)}


class InvoiceForm(forms.Form):
    customer = forms.ModelChoiceField(
        label="Customer", queryset=Customer.objects.none(), empty_label="Choose a customer"
    )
    number = forms.CharField(label="Invoice number", max_length=40, required=False)
    issue_date = forms.DateField(label="Issue date", widget=forms.DateInput(attrs={"type": "date"}))
    terms = forms.ChoiceField(label="Payment terms", choices=TERMS_CHOICES)
    due_date = forms.DateField(
        label="Due date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Only for “Custom due date”; otherwise the terms set it.",
    )
    tax_rate = DecimalTextField(
        label="Tax rate (%)", required=False, places=3, what="tax rate", help_text="Optional, e.g. 8.25"
    )
    memo = forms.CharField(label="Memo", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, biller: Biller, next_number: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customers = Customer.objects.filter(biller=biller, archived_at__isnull=True).order_by("name")
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        self.fields["number"].widget.attrs["placeholder"] = next_number
        self.fields["number"].help_text = f"Leave empty for the next number ({next_number})." if next_number else ""
        self.fields["issue_date"].initial = timezone.localdate()
        self.fields["terms"].initial = biller.default_terms


class LineForm(forms.Form):
    description = forms.CharField(label="Description", max_length=500, required=False)
    quantity = DecimalTextField(label="Quantity", required=False, places=3, what="quantity", initial="1")
    unit_price = MoneyField(label="Unit price", required=False)

    def line(self) -> Line | None:
        data = self.cleaned_data
        if not data.get("description") and data.get("unit_price") is None:
            return None  # an empty row
        if data.get("unit_price") is None:
            self.add_error("unit_price", "Enter the unit price.")
            return None
        quantity = data.get("quantity")
        return Line(
            description=data.get("description") or "",
            quantity=Decimal(1) if quantity is None else quantity,
            unit_price_cents=data["unit_price"],
        )


LineFormSet = forms.formset_factory(LineForm, extra=0, min_num=1, max_num=200, absolute_max=200)


def valid_lines(formset: Any) -> list[Line] | None:
    """The filled-in lines of a ``LineFormSet`` (blank rows left out), or None while any has an error."""
    if not formset.is_valid():
        return None
    lines = [line for line in (f.line() for f in formset.forms) if line is not None]
    return None if any(f.errors for f in formset.forms) else lines


class VoidForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=500, help_text="The customer sees it in the email that tells them."
    )


class RecordPaymentForm(forms.Form):
    amount = MoneyField(label="Amount received", allow_zero=False)
    method = forms.ChoiceField(
        label="Received by", choices=[c for c in PaymentMethod.choices if c[0] != PaymentMethod.ACH]
    )
    received_on = forms.DateField(label="Date received", widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label="Check number or reference", max_length=100, required=False)


class InvoiceSettingsForm(forms.Form):
    invoice_prefix = forms.RegexField(
        label="Invoice number prefix",
        regex=r"^[A-Za-z0-9\-_/.#]{0,12}$",
        required=False,
        max_length=12,
        help_text="Up to 12 letters, digits or - _ / . # — e.g. INV- gives INV-00001.",
        error_messages={"invalid": "Use up to 12 letters, digits and - _ / . #"},
    )
    default_terms = forms.ChoiceField(
        label="Default payment terms", choices=[c for c in TERMS_CHOICES if c[0] != "custom"]
    )
