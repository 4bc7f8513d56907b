"""The biller's invoices: list and filter, create and edit, send, PDF, void, record a payment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from remit.billers.actions import BillerError, biller_update_invoice_settings
from remit.console.forms_invoicing import (
    InvoiceForm,
    InvoiceSettingsForm,
    LineFormSet,
    RecordPaymentForm,
    VoidForm,
    valid_lines,
)
from remit.console.views import ConsoleRequest, console_view, page_query
from remit.customers.models import Customer
from remit.invoices import actions
from remit.invoices.actions import InvoiceDraft, InvoiceError
from remit.invoices.models import Invoice, InvoiceCounter
from remit.invoices.numbering import format_number
from remit.invoices.pdf import invoice_pdf_bytes
from remit.invoices.totals import Line
from remit.ledger.amounts import status_filter, status_sql
from remit.ledger.status import InvoiceStatus
from remit.lib.money import format_cents
from remit.payments.actions import PaymentError, overpayment_credit, payment_record_offline
from remit.site.forms import add_action_error

PAGE_SIZE = 50
STATUS_FILTERS = [("outstanding", "Outstanding"), *InvoiceStatus.choices]


def invoice_of(request: ConsoleRequest, invoice_id: int) -> Invoice:
    """The invoice with this id at the signed-in biller; 404 for anyone else's."""
    return get_object_or_404(Invoice.objects.select_related("customer", "biller"), biller=request.biller, pk=invoice_id)


@console_view()
def invoice_list(request: ConsoleRequest) -> HttpResponse:
    today = timezone.localdate()
    invoices = Invoice.objects.filter(biller=request.biller).select_related("customer")
    status = request.GET.get("status", "")
    if status in dict(STATUS_FILTERS):
        invoices = invoices.filter(status_filter(status, today))
    customer_id = request.GET.get("customer", "")
    customer = None
    if customer_id.isdigit():
        customer = Customer.objects.filter(biller=request.biller, pk=customer_id).first()
        invoices = invoices.filter(customer_id=customer.pk if customer else 0)
    search = request.GET.get("q", "").strip()
    if search:
        invoices = invoices.filter(number__icontains=search) | invoices.filter(customer__name__icontains=search)
    invoices = invoices.annotate(status_value=status_sql(today)).order_by("-issue_date", "-pk")
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/invoices/list.html",
        {
            "page": page,
            "status": status,
            "statuses": STATUS_FILTERS,
            "customer": customer,
            "search": search,
            "query": page_query(request),
        },
    )


def _next_number(request: ConsoleRequest) -> str:
    counter = InvoiceCounter.objects.filter(biller=request.biller).first()
    return format_number(request.biller.invoice_prefix, counter.next_number if counter else 1)


def _draft(form: InvoiceForm, lines: list[Line]) -> InvoiceDraft:
    data = form.cleaned_data
    return InvoiceDraft(
        customer=data["customer"],
        issue_date=data["issue_date"],
        lines=lines,
        terms=data["terms"],
        due_date=data.get("due_date"),
        tax_rate=data.get("tax_rate") or Decimal(0),
        memo=data.get("memo", ""),
        number=data.get("number", "").strip(),
    )


def _bind_forms(
    request: ConsoleRequest, *, initial: dict[str, Any], lines_initial: list[dict[str, Any]]
) -> tuple[InvoiceForm, Any]:
    posted = request.POST if request.method == "POST" else None
    form = InvoiceForm(posted, biller=request.biller, next_number=_next_number(request), initial=initial)
    formset = LineFormSet(posted, prefix="lines", initial=lines_initial)
    if posted and "add_line" in posted:
        # Show the same form again with one more empty line (works without JavaScript).
        data = posted.copy()
        data["lines-TOTAL_FORMS"] = str(int(data.get("lines-TOTAL_FORMS", "1")) + 1)
        form = InvoiceForm(data, biller=request.biller, next_number=_next_number(request))
        formset = LineFormSet(data, prefix="lines")
    return form, formset


def _show_invoice_errors(form: InvoiceForm, formset: Any, error: InvoiceError) -> None:
    for name, problems in error.errors.items():
        for problem in problems:
            if name in form.fields:
                form.add_error(name, problem)
            else:
                formset._non_form_errors = [*formset.non_form_errors(), problem]


def _save_invoice(request: ConsoleRequest, form: InvoiceForm, formset: Any, invoice: Invoice | None) -> Invoice | None:
    if "add_line" in request.POST or not form.is_valid():
        valid_lines(formset)
        return None
    lines = valid_lines(formset)
    if lines is None:
        return None
    try:
        if invoice is None:
            return actions.invoice_create(biller=request.biller, actor=request.user, draft=_draft(form, lines))
        return actions.invoice_update(invoice=invoice, actor=request.user, draft=_draft(form, lines))
    except InvoiceError as error:
        _show_invoice_errors(form, formset, error)
        return None


@console_view()
def invoice_new(request: ConsoleRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    if request.GET.get("customer", "").isdigit():
        initial["customer"] = request.GET["customer"]
    form, formset = _bind_forms(request, initial=initial, lines_initial=[{"quantity": "1"}])
    if request.method == "POST":
        invoice = _save_invoice(request, form, formset, None)
        if invoice is not None:
            messages.success(request, f"Invoice {invoice.number} was created. It is visible in the customer's portal.")
            return redirect("console:invoice", slug=request.biller.slug, invoice_id=invoice.pk)
    return render(request, "console/invoices/form.html", {"form": form, "formset": formset, "invoice": None})


@console_view()
def invoice_edit(request: ConsoleRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of(request, invoice_id)
    if invoice.is_void:
        messages.error(request, "A void invoice can't be edited.")
        return redirect("console:invoice", slug=request.biller.slug, invoice_id=invoice.pk)
    initial = {
        "customer": invoice.customer_id,
        "number": invoice.number,
        "issue_date": invoice.issue_date,
        "terms": invoice.terms,
        "due_date": invoice.due_date if invoice.terms == "custom" else None,
        "tax_rate": f"{invoice.tax_rate.normalize():f}" if invoice.tax_rate else "",
        "memo": invoice.memo,
    }
    lines = [
        {
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit_price": f"{line.unit_price_cents / 100:.2f}",
        }
        for line in invoice.lines.all()
    ]
    form, formset = _bind_forms(request, initial=initial, lines_initial=lines)
    if request.method == "POST":
        saved = _save_invoice(request, form, formset, invoice)
        if saved is not None:
            messages.success(request, f"Invoice {saved.number} was saved.")
            return redirect("console:invoice", slug=request.biller.slug, invoice_id=saved.pk)
    return render(request, "console/invoices/form.html", {"form": form, "formset": formset, "invoice": invoice})


@console_view()
def invoice_detail(request: ConsoleRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of(request, invoice_id)
    allocations = (
        invoice.allocations.select_related("payment")
        .annotate(return_code=F("payment__ach_entry__ach_return__code"))  # a retry chain shows why
        .order_by("-payment__pay_on", "-pk")
    )
    context = {
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "allocations": allocations,
        "sends": invoice.sends.select_related("sent_by", "email"),
        "events": invoice.events.select_related("actor", "api_key")[:20],
        "void_form": VoidForm(),
        "payment_form": RecordPaymentForm(
            initial={"received_on": timezone.localdate(), "amount": f"{invoice.available_cents / 100:.2f}"}
        ),
        "status": invoice.status,
    }
    return render(request, "console/invoices/detail.html", context)


@console_view()
def invoice_pdf_download(request: ConsoleRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of(request, invoice_id)
    response = HttpResponse(invoice_pdf_bytes(invoice), content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{invoice.number}.pdf"'
    return response


@console_view()
@require_POST
def invoice_send(request: ConsoleRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of(request, invoice_id)
    try:
        send = actions.invoice_send(invoice=invoice, actor=request.user)
    except InvoiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Invoice {invoice.number} was emailed to {', '.join(send.recipients)}.")
    return redirect("console:invoice", slug=request.biller.slug, invoice_id=invoice.pk)


@console_view()
@require_POST
def invoice_void(request: ConsoleRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of(request, invoice_id)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            actions.invoice_void(invoice=invoice, actor=request.user, reason=form.cleaned_data["reason"])
        except InvoiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Invoice {invoice.number} is void and the customer was told.")
            return redirect("console:invoice", slug=request.biller.slug, invoice_id=invoice.pk)
    else:
        messages.error(request, "Enter the reason for voiding; the customer will see it.")
    return redirect("console:invoice", slug=request.biller.slug, invoice_id=invoice.pk)


@console_view()
def invoice_record_payment(request: ConsoleRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of(request, invoice_id)
    form = RecordPaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = payment_record_offline(
                invoice=invoice,
                actor=request.user,
                amount_cents=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                received_on=form.cleaned_data["received_on"],
                reference=form.cleaned_data["reference"],
            )
        except PaymentError as error:
            add_action_error(form, error)
        else:
            credit = overpayment_credit(payment)
            if credit is None:
                messages.success(request, "The payment was recorded.")
            else:
                messages.success(
                    request,
                    f"The payment was recorded. It was {format_cents(credit.amount_cents)} more than was left to "
                    f"pay, so that part is now account credit {credit.number} for {invoice.customer.name}.",
                )
            return redirect("console:invoice", slug=request.biller.slug, invoice_id=invoice.pk)
    return render(request, "console/invoices/record_payment.html", {"invoice": invoice, "form": form})


@console_view(owner_only=True)
def invoice_settings(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    form = InvoiceSettingsForm(
        request.POST or None, initial={"invoice_prefix": biller.invoice_prefix, "default_terms": biller.default_terms}
    )
    if request.method == "POST" and form.is_valid():
        try:
            biller_update_invoice_settings(biller=biller, actor=request.user, **form.cleaned_data)
        except BillerError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Invoice settings saved.")
            return redirect("console:invoice_settings", slug=biller.slug)
    return render(request, "console/invoices/settings.html", {"form": form, "next_number": _next_number(request)})
