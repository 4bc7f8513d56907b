"""The biller's payments: every payment of every customer, by status."""

from __future__ import annotations

from collections import Counter

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from remit.console.views import ConsoleRequest, console_view, page_query
from remit.payments.holds import held_payments
from remit.payments.models import Payment, PaymentHold, PaymentStatus
from remit.payments.receipt_pdf import receipt_pdf
from remit.payments.receipts import receipt_of_biller

PAGE_SIZE = 50


def _count_retries(payments: list[Payment]) -> None:
    """Each payment's ``retry_count``: how many retries of it were made (one query for the page)."""
    counts = Counter(
        Payment.objects.filter(retry_of_id__in=[p.pk for p in payments]).values_list("retry_of_id", flat=True)
    )
    for payment in payments:
        payment.retry_count = counts.get(payment.pk, 0)  # type: ignore[attr-defined]


def _mark_held(payments: list[Payment]) -> None:
    """Each payment's ``is_held``: waiting in the Review queue (one query for the page)."""
    held = set(
        PaymentHold.objects.filter(payment_id__in=[p.pk for p in payments], decided_at__isnull=True).values_list(
            "payment_id", flat=True
        )
    )
    for payment in payments:
        payment.is_held = payment.pk in held and payment.status == PaymentStatus.SCHEDULED  # type: ignore[attr-defined]


@console_view()
def payment_list(request: ConsoleRequest) -> HttpResponse:
    payments = (
        Payment.objects.filter(biller=request.biller)
        .select_related("customer", "bank_account", "receipt")
        .prefetch_related("allocations__invoice")
        .order_by("-pay_on", "-pk")
    )
    status = request.GET.get("status", "")
    if status in PaymentStatus.values:
        payments = payments.filter(status=status)
    search = request.GET.get("q", "").strip()
    if search:
        payments = payments.filter(customer__name__icontains=search)
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    _count_retries(list(page.object_list))
    _mark_held(list(page.object_list))
    return render(
        request,
        "console/payments.html",
        {
            "page": page,
            "status": status,
            "statuses": PaymentStatus.choices,
            "search": search,
            "query": page_query(request),
            "held_count": held_payments(request.biller).count(),
        },
    )


@console_view()
def payment_receipt_pdf(request: ConsoleRequest, payment_id: int) -> HttpResponse:
    """A payment's receipt as the biller reads it (the account's masked details, even a private one:
    it is their customer's authorization); 404 for another biller's payment or one without a receipt."""
    receipt = receipt_of_biller(request.biller, payment_id)
    if receipt is None:
        raise Http404("No such receipt.")
    response = HttpResponse(receipt_pdf(receipt, viewer=None), content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{receipt.filename}"'
    return response
