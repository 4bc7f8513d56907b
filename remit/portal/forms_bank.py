"""The Add Bank Account form (help article, steps 6–7): the labels are the article's words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.views.decorators.debug import sensitive_variables

from remit.payments.bank_accounts import (
    BankAccountError,
    check_account_number,
    check_account_type,
    check_holder_name,
    check_routing_number,
    check_terms_accepted,
)
from remit.payments.models import BankAccountType
from remit.site.forms import NUMBER_ATTRS, NeverRedisplayedInput, add_action_error


class BankAccountForm(forms.Form):
    """Every field is optional here: the rules of ``remit.payments.bank_accounts`` give the messages,
    all at once (the action checks again; it is the one that counts)."""

    holder_name = forms.CharField(
        label="Name on the account", required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    routing_number = forms.CharField(
        label="Routing number",
        required=False,
        help_text="The 9 digits at the bottom left of a check.",
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
    )
    account_number = forms.CharField(
        label="Account number",
        required=False,
        help_text="4 to 17 digits; on a check, the number after the routing number.",
        widget=NeverRedisplayedInput(attrs=NUMBER_ATTRS),
    )
    account_number_confirm = forms.CharField(
        label="Confirm account number", required=False, widget=NeverRedisplayedInput(attrs=NUMBER_ATTRS)
    )
    account_type = forms.ChoiceField(
        label="Account type",
        choices=BankAccountType.choices,
        initial=BankAccountType.CHECKING,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose the account type: Checking or Savings."},
    )
    is_private = forms.BooleanField(
        label="Private",
        required=False,
        help_text="Only you can see and pay from this account; colleagues with access to this portal can't.",
    )
    accept_terms = forms.BooleanField(label="I accept the Terms of Service", required=False)

    @sensitive_variables("data", "values")
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = dict(data)
        checks = [
            lambda: check_holder_name(values.get("holder_name", "")),
            lambda: check_routing_number(values.get("routing_number", "")),
            lambda: check_account_number(values.get("account_number", ""), values.get("account_number_confirm", "")),
            lambda: check_account_type(values.get("account_type", "")),
            lambda: check_terms_accepted(bool(values.get("accept_terms"))),
        ]
        for check in checks:
            try:
                check()
            except BankAccountError as error:
                if error.field not in self.errors:
                    add_action_error(self, error)
        return data


class VerifyForm(forms.Form):
    """Verify account: the two small deposits (micro-entries) as the bank statement shows them. The
    action (``payments.validation.validation_verify``) reads and checks them and says what is wrong."""

    amount_1 = forms.CharField(
        label="Amount 1", required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"})
    )
    amount_2 = forms.CharField(
        label="Amount 2", required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"})
    )
