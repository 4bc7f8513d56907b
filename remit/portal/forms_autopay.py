"""The Auto Pay form (help article, "Set up Auto Pay", steps 3–7): the labels are the article's words."""

from __future__ import annotations

from typing import Any

from django import forms

from remit.autopay.models import MAX_DAYS, When
from remit.payments.disclosure import Viewer, choice_label, describe_account
from remit.payments.models import BankAccount
from remit.site.forms import MoneyField


class AutoPayForm(forms.Form):
    enabled = forms.BooleanField(label="Automatically Pay Bills", required=False)
    max_amount = MoneyField(
        label="Maximum Payment Amount",
        required=False,
        help_text="The most Auto Pay withdraws for any one invoice. Above it, you pay the rest by hand.",
    )
    bank_account = forms.TypedChoiceField(label="Bank Account", coerce=int, required=False, empty_value=None)
    days = forms.IntegerField(
        label="Number of business days",
        required=False,
        min_value=0,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": MAX_DAYS}),
        error_messages={
            "invalid": f"Enter a whole number of business days from 0 to {MAX_DAYS}.",
            "min_value": f"Enter a number of business days from 0 to {MAX_DAYS}.",
            "max_value": f"Enter a number of business days from 0 to {MAX_DAYS}.",
        },
    )
    when = forms.ChoiceField(label="Before or after the due date", choices=When.choices, initial=When.BEFORE)

    def __init__(
        self, *args: Any, accounts: list[BankAccount], kept: BankAccount | None, viewer: Viewer, **kwargs: Any
    ) -> None:
        """``accounts``: the ones this admin may choose; ``kept``: the one Auto Pay pays from now when
        it is not among them (a colleague's private account), which the admin may keep unchanged."""
        super().__init__(*args, **kwargs)
        self.accounts = accounts
        choices = [(a.pk, choice_label(a, viewer=viewer)) for a in accounts]
        if kept is not None:
            choices.insert(0, (kept.pk, f"Keep {describe_account(kept, viewer=viewer)}"))
        field: Any = self.fields["bank_account"]
        field.choices = [("", "Choose a bank account"), *choices]
        self.offers_a_choice = len(choices) > 1 or kept is not None
        self.only_account = choices[0][1] if len(choices) == 1 and kept is None else ""

    def clean_max_amount(self) -> int | None:
        value = self.cleaned_data.get("max_amount")
        if value is not None and value <= 0:
            raise forms.ValidationError("The Maximum Payment Amount must be more than $0.00.")
        return value
