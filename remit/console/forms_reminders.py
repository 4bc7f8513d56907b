"""The reminder settings' forms. Numbers are plain text on purpose: the actions give the messages
(an offset beyond a year is named as such, not "enter a whole number")."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from remit.reminders import rules
from remit.reminders.models import LateFeeKind
from remit.site.forms import NUMBER_ATTRS, MoneyField


class StepForm(forms.Form):
    offset_days = forms.CharField(
        label="Days from the due date",
        required=False,
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
        help_text="Negative before the due date (-7: a week before), 0 on the day, positive after it (14).",
    )
    subject = forms.CharField(label="Subject", required=False, max_length=rules.SUBJECT_MAX + 50)
    message = forms.CharField(
        label="Short message",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown above the amounts and the Pay Invoice Electronically button.",
    )

    def values(self) -> tuple[int | None, str, str]:
        data = self.cleaned_data
        return rules.whole_number(data["offset_days"]), data["subject"], data["message"]


class LateFeeForm(forms.Form):
    kind = forms.ChoiceField(label="Late fee", choices=LateFeeKind.choices)
    fixed = MoneyField(label="Fixed amount", required=False, help_text="In dollars, e.g. 25.00.")
    percent = forms.CharField(
        label="Percentage of the balance left",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="At most 100, e.g. 1.5.",
    )
    grace_days = forms.CharField(
        label="Days of grace after the due date",
        required=False,
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
        help_text="The fee is added once, the day after the grace days end.",
    )

    def values(self) -> tuple[str, int | None, Decimal | None, int | None]:
        data = self.cleaned_data
        grace = rules.whole_number(data["grace_days"] or "0")
        return data["kind"], data["fixed"], rules.percent_value(data["percent"]), grace


class PauseForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, max_length=400)
