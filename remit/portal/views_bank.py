"""Bank accounts in the portal (help article, steps 6–7): the list, Add Bank Account with the Terms of
Service, and Remove. Every read starts from the signed-in person's membership, so a colleague's
private account is a 404 like anyone else's. The account number is never sent back to the browser:
the page shows it masked, and an error re-renders its two inputs empty."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from remit.payments.bank_accounts import (
    BankAccountError,
    bank_account_add,
    can_remove,
    scheduled_payments_using,
    terms_for,
)
from remit.payments.bank_accounts import bank_account_remove as remove_bank_account
from remit.payments.models import AccountValidation, BankAccount, BankAccountStatus, ValidationStatus
from remit.payments.selectors import bank_account_for, visible_bank_accounts
from remit.payments.terms import terms_sha256
from remit.payments.validation import (
    AccountState,
    AccountValidationError,
    account_state,
    validation_resend,
    validation_verify,
)
from remit.portal.context import MemberRequest, member_required, portal_reverse, portal_view, safe_next
from remit.portal.forms_bank import BankAccountForm, VerifyForm
from remit.site.forms import add_action_error
from remit.users.throttle import client_ip

NUMBER_FIELDS = ("account_number", "account_number_confirm")


def _list_url(request: MemberRequest) -> str:
    return portal_reverse(request, "bank_accounts")


def _after_saving(request: MemberRequest) -> str:
    """Back where the person came from (the payment page, say) if that is a page of this portal."""
    candidate = request.GET.get("next", "")
    if candidate and safe_next(request, candidate) == candidate:
        return candidate
    return _list_url(request)


@portal_view
@member_required
def bank_accounts(request: MemberRequest) -> HttpResponse:
    accounts = (
        visible_bank_accounts(request.membership)
        .exclude(status=BankAccountStatus.REMOVED)
        .select_related("added_by")
        .order_by("created_at", "pk")
    )
    validations = {v.bank_account_id: v for v in AccountValidation.objects.filter(bank_account__in=accounts)}
    rows = [
        (account, can_remove(request.membership, account), _state(request, account, validations.get(account.pk)))
        for account in accounts
    ]
    return render(request, "portal/bank_accounts/list.html", {"rows": rows})


def _state(request: MemberRequest, account: BankAccount, validation: AccountValidation | None) -> AccountState | None:
    """What to show of the account's verification; None for a blocked one (its badge says enough)."""
    if account.status != BankAccountStatus.ACTIVE:
        return None
    return account_state(account, request.biller, validation)


@portal_view
@member_required
def bank_account_verify(request: MemberRequest, bank_account_id: int) -> HttpResponse:
    """Verify account: the two small deposits, typed as they appear on the bank statement."""
    account = bank_account_for(request.membership, bank_account_id)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = validation_verify(
                membership=request.membership,
                bank_account_id=account.pk,
                amount_1=form.cleaned_data["amount_1"],
                amount_2=form.cleaned_data["amount_2"],
            )
        except AccountValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, outcome.message)
            return redirect(_list_url(request))
    validation = AccountValidation.objects.filter(bank_account=account).first()
    today = request.biller.today()
    expired = bool(
        validation
        and validation.status == ValidationStatus.PENDING
        and validation.expires_on
        and today > validation.expires_on
    )
    context = {
        "account": account,
        "form": form,
        "state": _state(request, account, validation),
        "v": validation,
        "expired": expired,
    }
    return render(request, "portal/bank_accounts/verify.html", context)


@portal_view
@member_required
@require_POST
def bank_account_resend(request: MemberRequest, bank_account_id: int) -> HttpResponse:
    """Send new amounts: the last small deposits expired before they were confirmed."""
    account = bank_account_for(request.membership, bank_account_id)
    try:
        validation_resend(membership=request.membership, bank_account_id=account.pk)
    except AccountValidationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Two new small deposits go to {account.label} in {request.biller.name}'s next file. "
            f"Verify the account once they arrive.",
        )
    return redirect(_list_url(request))


@sensitive_post_parameters(*NUMBER_FIELDS)
@portal_view
@member_required
def bank_account_new(request: MemberRequest) -> HttpResponse:
    try:
        terms = terms_for(request.customer)
    except BankAccountError as error:
        messages.error(request, str(error))
        return redirect(_list_url(request))
    form = BankAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = _add(request, form)
        except BankAccountError as error:
            add_action_error(form, error)
        else:
            private = " Only you can see it." if account.is_private else ""
            messages.success(request, f"Bank account {account.label} was saved.{private}")
            return redirect(_after_saving(request))
    context = {
        "form": form,
        "terms": terms,
        "terms_sha256": terms_sha256(terms),
        "cancel_url": _after_saving(request),
    }
    return render(request, "portal/bank_accounts/new.html", context)


@sensitive_variables("form")
def _add(request: MemberRequest, form: BankAccountForm) -> BankAccount:
    return bank_account_add(
        membership=request.membership,
        holder_name=form.cleaned_data["holder_name"],
        routing_number=form.cleaned_data["routing_number"],
        account_number=form.cleaned_data["account_number"],
        account_number_confirm=form.cleaned_data["account_number_confirm"],
        account_type=form.cleaned_data["account_type"],
        is_private=form.cleaned_data["is_private"],
        accepted_terms=form.cleaned_data["accept_terms"],
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        # The hash of the text this page showed: the action refuses if the terms changed meanwhile.
        terms_sha256_shown=request.POST.get("terms_sha256", ""),
    )


@portal_view
@member_required
def bank_account_remove(request: MemberRequest, bank_account_id: int) -> HttpResponse:
    account = bank_account_for(request.membership, bank_account_id)
    if account.status != BankAccountStatus.ACTIVE:
        messages.info(request, f"{account.label} was already removed.")
        return redirect(_list_url(request))
    if request.method == "POST":
        try:
            cancelled = remove_bank_account(
                membership=request.membership, bank_account=account, actor=request.membership.user
            )
        except BankAccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{account.label} was removed. {_cancelled_sentence(len(cancelled))}")
        return redirect(_list_url(request))
    context = {
        "account": account,
        "payments": scheduled_payments_using(account),
        "removable": can_remove(request.membership, account),
    }
    return render(request, "portal/bank_accounts/remove.html", context)


def _cancelled_sentence(count: int) -> str:
    if count == 0:
        return "No scheduled payments were using it."
    if count == 1:
        return "1 scheduled payment from it was cancelled."
    return f"{count} scheduled payments from it were cancelled."
