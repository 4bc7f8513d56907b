"""The customer portal's pages once signed in (help article step 5 and "Things to know"), and the
biller's brand assets. Sign-in, sign-up and passwords: views_auth.py; colleagues: views_people.py."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from remit.invoices.pdf import invoice_pdf_bytes
from remit.lib.colors import darken, text_color_on
from remit.portal.context import MemberRequest, PortalRequest, member_required, portal_reverse, portal_view
from remit.portal.selectors import (
    autopay_left_to_pay,
    invoice_of,
    invoices_of,
    outstanding_invoices,
    recent_payments,
    standing,
    with_schedule,
)

YEAR = 60 * 60 * 24 * 365
PAGE_SIZE = 50
HOME_BILLS = 20
STATUS_FILTERS = [
    ("", "All"),
    ("outstanding", "Outstanding"),
    ("overdue", "Overdue"),
    ("paid", "Paid"),
    ("void", "Void"),
]


@portal_view
@member_required
def home(request: MemberRequest) -> HttpResponse:
    today = timezone.localdate()
    bills = outstanding_invoices(request.customer, today=today)
    context = {
        "standing": standing(request.customer, today=today),
        "bills": with_schedule(bills)[:HOME_BILLS],
        "more_bills": max(bills.count() - HOME_BILLS, 0),
        "payments": recent_payments(request.customer),
        "above_maximum": autopay_left_to_pay(request.customer),
    }
    return render(request, "portal/home.html", context)


@portal_view
@member_required
def invoice_list(request: MemberRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in dict(STATUS_FILTERS):
        status = ""
    invoices = with_schedule(invoices_of(request.customer, today=timezone.localdate(), status=status))
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    query = f"status={status}&" if status else ""
    return render(
        request, "portal/invoices.html", {"page": page, "status": status, "statuses": STATUS_FILTERS, "query": query}
    )


@portal_view
@member_required
def invoice_detail(request: MemberRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of(request.customer, invoice_id, today=timezone.localdate())
    allocations = invoice.allocations.select_related("payment").order_by("-payment__pay_on", "-pk")
    return render(
        request, "portal/invoice.html", {"invoice": invoice, "lines": invoice.lines.all(), "allocations": allocations}
    )


@portal_view
@member_required
def invoice_pdf_download(request: MemberRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of(request.customer, invoice_id, today=timezone.localdate())
    response = HttpResponse(invoice_pdf_bytes(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


# --- Brand assets (public) ----------------------------------------------------------------------


@require_GET
@portal_view
def brand_css(request: PortalRequest) -> HttpResponse:
    """The biller's colours as CSS variables (a stylesheet, so the CSP needs no inline styles)."""
    biller = request.biller
    css = (
        ".portal,.brand-preview{"
        f"--brand:{biller.brand_color};"
        f"--brand-ink:{text_color_on(biller.brand_color)};"
        f"--brand-dark:{darken(biller.brand_color)};"
        "}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    versioned = request.GET.get("v") == biller.brand_color.lstrip("#")
    response["Cache-Control"] = f"public, max-age={YEAR if versioned else 300}"
    return response


@require_GET
@portal_view
def logo(request: PortalRequest, version: str) -> HttpResponse:
    biller = request.biller
    if not biller.has_logo:
        raise Http404("This biller has no logo.")
    if version != biller.logo_version:
        return redirect(portal_reverse(request, "logo", version=biller.logo_version))
    response = HttpResponse(bytes(biller.logo_png or b""), content_type="image/png")
    # The address changes with the picture, so browsers may keep it for a year.
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
