"""Auto Pay in the portal (help article, "Set up Auto Pay"): the gear menu's "Auto Pay is off/on"
opens this page; its Edit icon opens the form. Only an admin of the customer account may change it;
a member sees its state. The advance notice's "skip this payment" link lands here too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from remit.autopay.engine import RunReport, autopay_skip
from remit.autopay.links import payment_from_token
from remit.autopay.models import AutoPayChange, AutoPayClaim
from remit.autopay.settings import AutoPayError, autopay_of, autopay_save, kept_account
from remit.lib.money import cents_to_plain, format_cents
from remit.payments.actions import PaymentError
from remit.payments.disclosure import describe_account
from remit.payments.models import BankAccount, PaymentStatus
from remit.payments.selectors import payment_for, usable_bank_accounts
from remit.portal.context import MemberRequest, PortalRequest, member_required, portal_reverse, portal_view
from remit.portal.forms_autopay import AutoPayForm
from remit.site.forms import add_action_error


def _upcoming(request: MemberRequest) -> list[AutoPayClaim]:
    return list(
        AutoPayClaim.objects.select_related("payment__bank_account__added_by", "invoice")
        .filter(customer=request.customer, payment__status=PaymentStatus.SCHEDULED)
        .order_by("payment__pay_on", "invoice_id")
    )


@dataclass(frozen=True)
class ChangeRow:
    """One line of the Auto Pay page's history, with the account of each side described for the
    reader from the snapshot's account id (its stored label would name a colleague's private account)."""

    change: AutoPayChange
    before_from: str
    after_from: str


def _changes(request: MemberRequest) -> list[ChangeRow]:
    changes = list(AutoPayChange.objects.filter(customer=request.customer)[:20])
    ids = {side.get("bank_account_id") for change in changes for side in (change.before, change.after)}
    accounts = (
        BankAccount.objects.filter(customer=request.customer, pk__in=ids - {None}).select_related("added_by").in_bulk()
    )
    viewer = request.membership.user

    def said(side: dict[str, Any]) -> str:
        account = accounts.get(side.get("bank_account_id"))
        return describe_account(account, viewer=viewer, short=True) if account is not None else "a bank account"

    return [ChangeRow(change, said(change.before), said(change.after)) for change in changes]


@portal_view
@member_required
def autopay(request: MemberRequest) -> HttpResponse:
    setting = autopay_of(request.customer)
    context = {
        "autopay": setting,
        "upcoming": _upcoming(request),
        "changes": _changes(request),
        "is_admin": request.membership.is_admin,
    }
    return render(request, "portal/autopay.html", context)


@portal_view
@member_required
def autopay_edit(request: MemberRequest) -> HttpResponse:
    if not request.membership.is_admin:
        return render(request, "portal/autopay_admins_only.html", status=403)
    setting = autopay_of(request.customer)
    accounts = list(usable_bank_accounts(request.membership))
    kept = kept_account(setting)
    if kept is not None and kept in accounts:
        kept = None  # the admin's own or a shared account: offered like the others
    initial = {
        "enabled": setting.enabled,  # off until the customer selects the checkbox (help, step 3)
        "max_amount": cents_to_plain(setting.max_cents) if setting.max_cents else "",
        "bank_account": setting.bank_account_id if setting.bank_account_id else None,
        "days": setting.days if setting.pk else 2,
        "when": setting.when,
    }
    form = AutoPayForm(
        request.POST or None, initial=initial, accounts=accounts, kept=kept, viewer=request.membership.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved, report = autopay_save(
                customer=request.customer,
                actor=request.membership.user,
                enabled=data["enabled"],
                max_cents=data["max_amount"],
                bank_account_id=data["bank_account"],
                days=data["days"],
                when=data["when"],
            )
        except AutoPayError as error:
            add_action_error(form, error)
        else:
            messages.success(request, _saved_message(saved.enabled, report))
            return redirect(portal_reverse(request, "autopay"))
    context = {"form": form, "accounts": accounts, "kept": kept, "autopay": setting}
    return render(request, "portal/autopay_edit.html", context)


def _saved_message(enabled: bool, report: RunReport) -> str:
    parts = [f"Auto Pay is {'on' if enabled else 'off'}."]
    if report.scheduled:
        n = len(report.scheduled)
        parts.append(f"It scheduled {n} payment{'s' if n != 1 else ''} for your open invoices.")
    if report.rescheduled:
        n = len(report.rescheduled)
        parts.append(f"{n} scheduled payment{'s were' if n != 1 else ' was'} changed to the new settings.")
    if report.withdrawn:
        n = len(report.withdrawn)
        parts.append(f"{n} Auto Pay payment{'s were' if n != 1 else ' was'} cancelled.")
    parts.append("We emailed the admins a confirmation.")
    return " ".join(parts)


@portal_view
@member_required
@require_POST
def autopay_skip_view(request: MemberRequest, payment_id: int) -> HttpResponse:
    payment = payment_for(request.membership, payment_id)
    try:
        autopay_skip(payment=payment, actor=request.membership.user)
    except PaymentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Skipped: the Auto Pay payment of {format_cents(payment.amount_cents)} is cancelled and nothing will "
            "be taken. Auto Pay leaves that invoice for you to pay by hand.",
        )
    if request.POST.get("back") == "payment":
        return redirect(portal_reverse(request, "payment", payment_id=payment.pk))
    return redirect(portal_reverse(request, "autopay"))


@portal_view
def autopay_skip_link(request: PortalRequest, token: str) -> HttpResponse:
    """The advance notice's link: shows the payment and asks; only the POST skips it."""
    payment = payment_from_token(token, biller_id=request.biller.pk)
    if payment is None:
        raise Http404("This link is not valid.")
    invoices = [a.invoice for a in payment.allocations.select_related("invoice")]
    done = False
    error = ""
    if request.method == "POST":
        try:
            payment = autopay_skip(payment=payment, actor=None)  # the page shows its new status
        except PaymentError as problem:
            error = str(problem)
        else:
            done = True
    context = {"payment": payment, "invoices": invoices, "done": done, "error": error}
    return render(request, "portal/autopay_skip.html", context)
