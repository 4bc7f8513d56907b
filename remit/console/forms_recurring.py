"""Forms of recurring invoices. They parse what was typed; the rules live in
``remit.recurring.actions`` (its refusals come back to the fields here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from remit.console.forms_invoicing import DecimalTextField
from remit.customers.models import Customer
from remit.invoices.totals import Line
from remit.recurring.actions import TemplateFields
from remit.recurring.models import TERMS_CHOICES, Delivery, Frequency, RecurringInvoice

ENDS = [("never", "No end date"), ("on", "On a date"), ("after", "After a number of invoices")]


class RecurringForm(forms.Form):
    frequency = forms.ChoiceField(label="How often", choices=Frequency.choices)
    start_on = forms.DateField(
        label="Start date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The first invoice is issued on this date; the next ones on the same day of the week or month.",
    )
    ends = forms.ChoiceField(label="Ends", choices=ENDS, initial="never", widget=forms.RadioSelect)
    end_on = forms.DateField(label="End date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(label="Number of invoices", required=False, help_text="At most 1,000.")
    terms = forms.ChoiceField(label="Payment terms", choices=TERMS_CHOICES)
    tax_rate = DecimalTextField(
        label="Tax rate (%)", required=False, places=3, what="tax rate", help_text="Optional, e.g. 8.25"
    )
    memo = forms.CharField(label="Memo", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    delivery = forms.ChoiceField(
        label="Each invoice is",
        choices=[
            (Delivery.SEND, "Sent automatically: issued and emailed on its date"),
            (Delivery.REVIEW, "Held for review: waits under Recurring → To review until you send it"),
        ],
        initial=Delivery.SEND,
        widget=forms.RadioSelect,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ends = data.get("ends")
        if ends == "on" and not data.get("end_on") and "end_on" not in self.errors:
            self.add_error("end_on", "Enter the end date.")
        if ends == "after" and data.get("count") is None and "count" not in self.errors:
            self.add_error("count", "Enter the number of invoices.")
        return data

    def fields_for_action(self, customer: Customer, lines: list[Line]) -> TemplateFields:
        data = self.cleaned_data
        return TemplateFields(
            customer=customer,
            frequency=data["frequency"],
            start_on=data["start_on"],
            end_on=data.get("end_on") if data["ends"] == "on" else None,
            count=data.get("count") if data["ends"] == "after" else None,
            lines=lines,
            terms=data["terms"],
            tax_rate=data.get("tax_rate") or Decimal(0),
            memo=data.get("memo", ""),
            delivery=data["delivery"],
        )

    @staticmethod
    def initial_for(template: RecurringInvoice) -> dict[str, Any]:
        return {
            "frequency": template.frequency,
            "start_on": template.start_on,
            "ends": "on" if template.end_on else "after" if template.count else "never",
            "end_on": template.end_on,
            "count": template.count,
            "terms": template.terms,
            "tax_rate": f"{template.tax_rate.normalize():f}" if template.tax_rate else "",
            "memo": template.memo,
            "delivery": template.delivery,
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500, required=False)


class SkipForm(forms.Form):
    scheduled_on = forms.DateField(label="Date", widget=forms.HiddenInput)
    reason = forms.CharField(label="Reason", max_length=500)
