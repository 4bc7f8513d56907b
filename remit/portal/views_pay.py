"""Paying (help article, steps 8–10) and the payments the customer has made or scheduled."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from remit.billers.models import Biller
from remit.lib.money import cents_to_plain, format_cents
from remit.payments.actions import (
    Paid,
    PaymentError,
    may_cancel,
    payment_cancel_by_member,
    payment_schedule,
    payment_schedule_applying_credit,
)
from remit.payments.credits import credit_available_cents
from remit.payments.dates import earliest_pay_on, latest_pay_on
from remit.payments.holds import is_held
from remit.payments.models import BankAccount, PaymentStatus, Receipt
from remit.payments.receipt_pdf import receipt_pdf
from remit.payments.receipts import receipt_of_payment
from remit.payments.selectors import payment_for, payments_of, retry_chain, usable_bank_accounts
from remit.payments.validation import first_debit_on
from remit.portal.context import MemberRequest, member_required, portal_reverse, portal_view
from remit.portal.forms_pay import PayForm
from remit.portal.selectors import outstanding_invoices, standing
from remit.site.forms import add_action_error


@portal_view
@member_required
def pay_bills(request: MemberRequest) -> HttpResponse:
    """Pay Outstanding Bills: the invoices (all selected), Pay from, Pay On, Total Payment, Pay."""
    today = timezone.localdate()
    biller = request.biller
    now_local = timezone.now().astimezone(ZoneInfo(biller.time_zone))
    earliest = earliest_pay_on(now_local, biller.ach_cutoff_time)
    bills = [invoice for invoice in outstanding_invoices(request.customer, today=today) if invoice.available_cents > 0]
    accounts = list(usable_bank_accounts(request.membership))
    initial = {
        "invoices": [invoice.pk for invoice in bills],
        "pay_on": earliest,
        "total": cents_to_plain(sum(invoice.available_cents for invoice in bills)),
        "idempotency_key": uuid.uuid4().hex,
    }
    form = PayForm(
        request.POST or None,
        initial=initial,
        bills=bills,
        accounts=accounts,
        viewer=request.membership.user,
        earliest=earliest,
        latest=latest_pay_on(now_local.date()),
        credit_cents=credit_available_cents(request.customer.pk),
    )
    _mark_waiting(form, accounts, biller)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        schedule = payment_schedule_applying_credit if data.get("apply_credit") else payment_schedule
        try:
            done = schedule(
                payer=request.membership.user,
                invoice_ids=data["invoices"],
                bank_account_id=data["bank_account"],
                pay_on=data["pay_on"],
                total_cents=data["total"],
                idempotency_key=data["idempotency_key"],
            )
        except PaymentError as error:
            add_action_error(form, error)
        else:
            paid = done if isinstance(done, Paid) else Paid(0, done)
            return _paid(request, paid, data)
    context = {
        "form": form,
        "bills": bills,
        "accounts": accounts,
        "earliest": earliest,
        "standing": standing(request.customer, today=today),
        "selected": {int(value) for value in (form["invoices"].value() or []) if str(value).isdigit()},
    }
    return render(request, "portal/pay_bills.html", context)


def _paid(request: MemberRequest, paid: Paid, data: dict[str, Any]) -> HttpResponse:
    credit = f"{format_cents(paid.credit_cents)} of your credit was applied. " if paid.credit_cents else ""
    payment = paid.payment
    if payment is None:
        messages.success(
            request, f"{credit}Your credit pays the selected invoices: nothing will be taken from your bank account."
        )
        return redirect(portal_reverse(request, "invoices"))
    waits = ""
    if payment.pay_on != data["pay_on"]:
        waits = (
            f" The account is waiting for verification, so the payment moved from {data['pay_on']:%b %-d} to "
            f"the first banking day it can go."
        )
    messages.success(
        request,
        f"{credit}Your payment of {format_cents(payment.amount_cents)} is scheduled for "
        f"{payment.pay_on:%A, %B %-d, %Y}.{waits} We emailed you a confirmation.",
    )
    return redirect(portal_reverse(request, "payment", payment_id=payment.pk))


@portal_view
@member_required
def payments(request: MemberRequest) -> HttpResponse:
    all_payments = list(payments_of(request.membership)[:200])
    scheduled = [p for p in all_payments if p.status == PaymentStatus.SCHEDULED]
    others = [p for p in all_payments if p.status != PaymentStatus.SCHEDULED]
    return render(request, "portal/payments.html", {"scheduled": scheduled, "others": others})


@portal_view
@member_required
def payment_detail(request: MemberRequest, payment_id: int) -> HttpResponse:
    payment = payment_for(request.membership, payment_id)
    allocations = payment.allocations.select_related("invoice").order_by("invoice__due_date", "pk")
    events = payment.events.select_related("actor")
    return render(
        request,
        "portal/payment.html",
        {
            "payment": payment,
            "allocations": allocations,
            "events": events,
            "can_cancel": may_cancel(request.membership, payment),
            "chain": retry_chain(payment),
            "held": payment.status == PaymentStatus.SCHEDULED and is_held(payment),
            "receipt": Receipt.objects.filter(payment_id=payment.pk).first(),
        },
    )


@portal_view
@member_required
def payment_receipt_pdf(request: MemberRequest, payment_id: int) -> HttpResponse:
    """Download receipt: the payment's receipt as this person may read it (a colleague's private
    account only as whose it is); a withdrawn one stays downloadable, stamped WITHDRAWN."""
    payment = payment_for(request.membership, payment_id)  # 404 outside the person's customer account
    receipt = receipt_of_payment(payment)
    if receipt is None:
        raise Http404("This payment has no receipt.")
    response = HttpResponse(receipt_pdf(receipt, viewer=request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt.filename}"'
    return response


@portal_view
@member_required
@require_POST
def payment_cancel_view(request: MemberRequest, payment_id: int) -> HttpResponse:
    payment = payment_for(request.membership, payment_id)
    try:
        payment_cancel_by_member(membership=request.membership, payment=payment)
    except PaymentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"The payment of {format_cents(payment.amount_cents)} is cancelled. Nothing will be taken."
        )
    return redirect(portal_reverse(request, "payment", payment_id=payment.pk))


def _mark_waiting(form: PayForm, accounts: list[BankAccount], biller: Biller) -> None:
    """An account not yet verified says so in Pay from, with the earliest date a debit can go."""
    today = biller.today()
    waiting = {a.pk: first_debit_on(a, biller) for a in accounts if a.debits_from is None or a.debits_from > today}
    if not waiting:
        return
    field: Any = form.fields["bank_account"]
    field.choices = [
        (pk, f"{label} (verification pending: from {waiting[pk]:%b %-d})" if pk in waiting else label)
        for pk, label in field.choices
    ]
