"""The biller's payments: every payment of every customer, by status."""

from __future__ import annotations

from collections import Counter

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from remit.console.views import ConsoleRequest, console_view, page_query
from remit.payments.holds import held_payments
from remit.payments.models import Payment, PaymentHold, PaymentStatus

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
