"""Settings → Account validation: how the biller has new bank accounts validated before their first
debit (``payments.validation``). Owners choose; staff may look. Every choice is kept and listed."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from remit.console.views import ConsoleRequest, console_view, read_only_for_staff
from remit.payments.models import ValidationChoice, ValidationMethod
from remit.payments.validation import (
    ATTEMPTS,
    EXPIRES_AFTER_DAYS,
    STATEMENT_MAX,
    AccountValidationError,
    current_choice,
    validation_choose,
)
from remit.site.forms import add_action_error

HISTORY = 20

METHOD_HELP = {
    ValidationMethod.MICRO_ENTRIES: (
        f"Two deposits under $1.00 go to the account in your next file; your customer types them in the portal "
        f"({ATTEMPTS} attempts, within {EXPIRES_AFTER_DAYS} days) before the first debit. With balanced files, "
        f"the offsetting debit always goes with them."
    ),
    ValidationMethod.PRENOTE: (
        "A zero-dollar entry goes in your next file; debits follow from the third banking day after it, unless "
        "the bank returns it."
    ),
    ValidationMethod.SERVICE: (
        "Your bank or another service validates each account. Your statement below is kept as your record."
    ),
}


class ValidationForm(forms.Form):
    method = forms.ChoiceField(
        label="How accounts are validated", choices=ValidationMethod.choices, widget=forms.RadioSelect
    )
    offsetting_debit = forms.BooleanField(
        label="Debit the sum of the micro-entries back in the same file", required=False
    )
    statement = forms.CharField(
        label="Your statement (validated by the bank or another service)",
        required=False,
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Which service validates accounts, and how. Kept with who made it and when.",
    )


@console_view(owner_only=True)
def account_validation(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    choice = current_choice(biller.pk)
    initial = {
        "method": choice.method if choice else ValidationMethod.MICRO_ENTRIES,
        "offsetting_debit": bool(choice and choice.offsetting_debit),
        "statement": choice.statement if choice else "",
    }
    form = ValidationForm(request.POST or None, initial=initial)
    read_only_for_staff(request, form)
    if request.method == "POST" and form.is_valid():
        try:
            validation_choose(biller=biller, actor=request.user, **form.cleaned_data)
        except AccountValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Saved. Bank accounts added from now on are validated this way.")
            return redirect("console:account_validation", slug=biller.slug)
    history = ValidationChoice.objects.filter(biller=biller).order_by("-chosen_at", "-pk")[:HISTORY]
    return render(
        request,
        "console/account_validation.html",
        {"form": form, "choice": choice, "history": history, "method_help": METHOD_HELP.items()},
    )
