"""Credits in the console: Issue credit from the customer page, and each credit note as a PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from remit.console.forms_credits import CreditForm
from remit.console.views import ConsoleRequest, console_view
from remit.customers.selectors import customer_of
from remit.lib.money import format_cents
from remit.payments.credit_note import credit_note_pdf
from remit.payments.credits import CreditError, credit_issue
from remit.payments.models import Credit
from remit.site.forms import add_action_error


@console_view()
def credit_new(request: ConsoleRequest, customer_id: int) -> HttpResponse:
    customer = customer_of(request.biller, customer_id)
    form = CreditForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            credit = credit_issue(
                biller=request.biller,
                customer=customer,
                amount_cents=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                invoice=form.cleaned_data["invoice"],
                actor=request.user,
            )
        except CreditError as error:
            add_action_error(form, error)
        else:
            where = (
                f"applied to {form.cleaned_data['invoice'].number}"
                if form.cleaned_data["invoice"] is not None
                else "kept as account credit"
            )
            messages.success(
                request, f"Credit {credit.number} of {format_cents(credit.amount_cents)} was issued, {where}."
            )
            return redirect("console:customer", slug=request.biller.slug, customer_id=customer.pk)
    return render(request, "console/credits/new.html", {"customer": customer, "form": form})


@console_view()
def credit_pdf(request: ConsoleRequest, credit_id: int) -> HttpResponse:
    credit = get_object_or_404(Credit.objects.select_related("biller", "customer"), pk=credit_id, biller=request.biller)
    response = HttpResponse(credit_note_pdf(credit), content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{credit.number}.pdf"'
    return response
