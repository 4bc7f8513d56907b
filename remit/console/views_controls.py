"""The biller's payment controls in the console: Settings → Payments (owner only), a customer's
switches and limits (posted from the customer's page, owner only), and the Review queue of payments
held for review (owners and staff decide, each decision with a reason)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from remit.console.forms_controls import (
    CustomerPaymentSettingsForm,
    HoldDecisionForm,
    PaymentSettingsForm,
    RiskRulesForm,
)
from remit.console.views import ConsoleRequest, console_view, read_only_for_staff
from remit.customers.models import Customer
from remit.customers.selectors import customer_of
from remit.lib.errors import ActionError
from remit.lib.money import format_cents
from remit.payments.controls import (
    customer_payment_settings_save,
    customer_settings_of,
    payment_rules,
    payment_settings_save,
    settings_of,
)
from remit.payments.holds import held_payments, payment_hold_decide
from remit.payments.models import PaymentHold, PaymentSettingsChange
from remit.payments.risk_rules import RiskSettings
from remit.payments.risk_settings import FIELDS as RISK_FIELDS
from remit.payments.risk_settings import risk_rules_save, risk_settings_of
from remit.site.forms import add_action_error

HISTORY = 20
LABELS = {
    "accept_ach": "Accept ACH payments",
    "allow_autopay": "Allow Auto Pay",
    "over_limit": "Above a limit",
    "max_per_payment_cents": "Maximum per payment",
    "max_per_month_cents": "Maximum per month",
    "new_account_on": "First debit from a new account",
    "new_account_above_cents": "New account's amount",
    "account_change_on": "Account changed before Auto Pay",
    "account_change_days": "Days before Auto Pay",
    "unusual_amount_on": "Far above the usual",
    "unusual_amount_times": "Times the usual",
    "many_accounts_on": "Many accounts in a day",
    "many_accounts_count": "Accounts in a day",
    "shared_account_on": "One account at several customers",
    "shared_account_customers": "Customers sharing",
}


def _shown(name: str, value: object) -> str:
    if value is None:
        return "no limit" if name.startswith("max_") else "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if (name.startswith("max_") or name.endswith("_cents")) and isinstance(value, int):
        return format_cents(value)
    return str(value)


def history_rows(
    changes: Iterable[PaymentSettingsChange],
) -> list[tuple[PaymentSettingsChange, list[tuple[str, str, str]]]]:
    """Each change with its fields as (label, before, after), as the owner reads them."""
    return [
        (
            change,
            [
                (LABELS.get(name, name), _shown(name, change.before.get(name)), _shown(name, value))
                for name, value in change.after.items()
            ],
        )
        for change in changes
    ]


@console_view(owner_only=True)
def payment_settings(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    saved = settings_of(biller)
    initial = {"accept_ach": saved.accept_ach, "allow_autopay": saved.allow_autopay, "over_limit": saved.over_limit}
    form = PaymentSettingsForm(request.POST or None, initial=initial)
    read_only_for_staff(request, form)
    if request.method == "POST" and form.is_valid():
        try:
            payment_settings_save(biller=biller, actor=request.user, **form.cleaned_data)
        except ActionError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Payment settings saved.")
            return redirect("console:payment_settings", slug=biller.slug)
    history = history_rows(PaymentSettingsChange.objects.filter(biller=biller).select_related("customer")[:HISTORY])
    return render(request, "console/payment_settings.html", {"form": form, "history": history})


@console_view(owner_only=True)
def risk_rules(request: ConsoleRequest) -> HttpResponse:
    """Settings → Payments → Risk rules: which payments are held for review before a file is written."""
    biller = request.biller
    saved = asdict(risk_settings_of(biller))
    saved["new_account_above"] = _dollars(saved.pop("new_account_above_cents"))
    form = RiskRulesForm(request.POST or None, initial=saved)
    read_only_for_staff(request, form)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["new_account_above_cents"] = data.pop("new_account_above")
        try:
            risk_rules_save(biller=biller, actor=request.user, rules=RiskSettings(**data))
        except ActionError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Risk rules saved. They apply from the next ACH file.")
            return redirect("console:risk_rules", slug=biller.slug)
    changes = PaymentSettingsChange.objects.filter(biller=biller, customer__isnull=True)
    history = [row for row in history_rows(changes[: HISTORY * 2]) if set(row[0].after) & set(RISK_FIELDS)][:HISTORY]
    return render(request, "console/risk_rules.html", {"form": form, "history": history})


def customer_payment_form(customer: Customer, data: object = None) -> CustomerPaymentSettingsForm:
    own = customer_settings_of(customer)
    initial = {
        "accept_ach": own.accept_ach,
        "allow_autopay": own.allow_autopay,
        "max_per_payment": _dollars(own.max_per_payment_cents),
        "max_per_month": _dollars(own.max_per_month_cents),
    }
    return CustomerPaymentSettingsForm(data, initial=initial)  # type: ignore[arg-type]


def _dollars(cents: int | None) -> str:
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


@console_view(owner_only=True)
def customer_payment_settings(request: ConsoleRequest, customer_id: int) -> HttpResponse:
    """A customer's switches and limits: staff may look, an owner changes them."""
    customer = customer_of(request.biller, customer_id)
    form = customer_payment_form(customer, request.POST or None)
    read_only_for_staff(request, form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            customer_payment_settings_save(
                customer=customer,
                actor=request.user,
                accept_ach=data["accept_ach"],
                allow_autopay=data["allow_autopay"],
                max_per_payment_cents=data["max_per_payment"],
                max_per_month_cents=data["max_per_month"],
                scheduled=data["scheduled"],
            )
        except ActionError as error:
            add_action_error(form, error)
        else:
            messages.success(request, f"Payment settings of {customer.name} saved.")
            return redirect("console:customer", slug=request.biller.slug, customer_id=customer.pk)
    history = history_rows(PaymentSettingsChange.objects.filter(customer=customer)[:HISTORY])
    context = {"customer": customer, "form": form, "history": history, "rules": payment_rules(customer)}
    return render(request, "console/customers/payment_settings.html", context)


@console_view()
def review(request: ConsoleRequest) -> HttpResponse:
    holds = list(held_payments(request.biller)[:200])
    return render(request, "console/review.html", {"holds": holds, "form": HoldDecisionForm()})


@console_view()
@require_POST
def review_decide(request: ConsoleRequest, hold_id: int) -> HttpResponse:
    hold = get_object_or_404(
        PaymentHold.objects.select_related("payment__customer"), pk=hold_id, payment__biller=request.biller
    )
    form = HoldDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for the decision; it is kept with the payment.")
        return redirect("console:review", slug=request.biller.slug)
    try:
        payment_hold_decide(hold=hold, actor=request.user, **form.cleaned_data)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        verb = (
            "approved: it goes in the next file"
            if form.cleaned_data["decision"] == "approved"
            else "rejected and cancelled; the customer was emailed"
        )
        messages.success(request, f"{hold.payment.customer.name}'s payment was {verb}.")
    return redirect("console:review", slug=request.biller.slug)
