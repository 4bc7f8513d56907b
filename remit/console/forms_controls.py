"""The forms of the biller's payment controls: Settings → Payments, a customer's switches and
limits, and a decision in the Review queue."""

from __future__ import annotations

from django import forms

from remit.payments.controls import CANCEL, KEEP
from remit.payments.models import HoldDecision, OverLimit, Switch
from remit.site.forms import MoneyField

SCHEDULED_CHOICES = [
    (KEEP, "Keep them: they are still taken on their Pay On date"),
    (CANCEL, "Cancel them: nothing is taken, and their invoices are open to pay again"),
]
SCHEDULED_HELP = (
    "Only asked when you switch something off. A payment already in a file sent to the bank can't be "
    "cancelled any more."
)


class PaymentSettingsForm(forms.Form):
    accept_ach = forms.BooleanField(label="Accept ACH payments", required=False)
    allow_autopay = forms.BooleanField(
        label="Allow Auto Pay", required=False, help_text="Auto Pay pays by ACH: it is off whenever ACH is."
    )
    over_limit = forms.ChoiceField(
        label="A payment above a customer's limit", choices=OverLimit.choices, widget=forms.RadioSelect
    )
    scheduled = forms.ChoiceField(
        label="Payments already scheduled by customers who lose ACH or Auto Pay",
        choices=SCHEDULED_CHOICES,
        initial=KEEP,
        widget=forms.RadioSelect,
        help_text=SCHEDULED_HELP,
    )


class CustomerPaymentSettingsForm(forms.Form):
    accept_ach = forms.ChoiceField(label="Accept ACH payments", choices=Switch.choices)
    allow_autopay = forms.ChoiceField(label="Allow Auto Pay", choices=Switch.choices)
    max_per_payment = MoneyField(label="Maximum per payment", required=False, help_text="Empty: no limit.")
    max_per_month = MoneyField(
        label="Maximum per month",
        required=False,
        help_text="Empty: no limit. Counts the ACH payments with a Pay On date in the same calendar month.",
    )
    scheduled = forms.ChoiceField(
        label="Payments already scheduled, if this switches something off",
        choices=SCHEDULED_CHOICES,
        initial=KEEP,
        widget=forms.RadioSelect,
        help_text=SCHEDULED_HELP,
    )


class HoldDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=HoldDecision.choices)
    reason = forms.CharField(label="Reason", max_length=300)


class RiskRulesForm(forms.Form):
    """The biller's risk rules: each on or off, with its parameter (``payments.risk_rules``)."""

    new_account_on = forms.BooleanField(label="First debit from a new account", required=False)
    new_account_above = MoneyField(
        label="Hold it when it is above", allow_zero=False, help_text="A new account: no debit from it sent before."
    )
    account_change_on = forms.BooleanField(label="Account changed shortly before an Auto Pay debit", required=False)
    account_change_days = forms.IntegerField(
        label="Days before the debit's Pay On",
        help_text="The Auto Pay's account was added, or Auto Pay switched to it, within this many days.",
    )
    unusual_amount_on = forms.BooleanField(label="A payment far above the customer's usual", required=False)
    unusual_amount_times = forms.IntegerField(
        label="Times the usual amount",
        help_text="The usual: the median of the customer's last 12 settled payments (only with at least 3).",
    )
    many_accounts_on = forms.BooleanField(label="Many accounts added by one customer in a day", required=False)
    many_accounts_count = forms.IntegerField(
        label="Accounts added within 24 hours", help_text="Their payments from those accounts are held."
    )
    shared_account_on = forms.BooleanField(label="One account used by several customers", required=False)
    shared_account_customers = forms.IntegerField(
        label="Customers using the same account", help_text="The same routing and account number, active at each."
    )
