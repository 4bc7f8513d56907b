"""The biller's payments: every payment of every customer, by status."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from remit.console.views import ConsoleRequest, console_view, page_query
from remit.payments.models import Payment, PaymentStatus

PAGE_SIZE = 50


@console_view()
def payment_list(request: ConsoleRequest) -> HttpResponse:
    payments = (
        Payment.objects.filter(biller=request.biller)
        .select_related("customer", "bank_account")
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
    return render(
        request,
        "console/payments.html",
        {
            "page": page,
            "status": status,
            "statuses": PaymentStatus.choices,
            "search": search,
            "query": page_query(request),
        },
    )
