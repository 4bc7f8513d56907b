"""Statements: the customer's statement of account for a period, on the page and as a PDF. Both read
only the signed-in person's own customer account (``request.customer``)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from remit.portal.context import MemberRequest, member_required, portal_view
from remit.site.forms_statements import period_form
from remit.statements.actions import statement_filename
from remit.statements.gather import statement_for
from remit.statements.pdf import statement_pdf


@portal_view
@member_required
def statements(request: MemberRequest) -> HttpResponse:
    form = period_form(request.GET, today=request.customer.biller.today())
    period = form.chosen()
    statement = None if period is None else statement_for(request.customer, start=period[0], end=period[1])
    return render(
        request,
        "portal/statements.html",
        {"form": form.shown(), "statement": statement, "query": request.GET.urlencode()},
        status=200 if period else 400,
    )


@portal_view
@member_required
def statement_pdf_download(request: MemberRequest) -> HttpResponse:
    form = period_form(request.GET, today=request.customer.biller.today())
    period = form.chosen()
    if period is None:
        return render(request, "portal/statements.html", {"form": form, "statement": None}, status=400)
    statement = statement_for(request.customer, start=period[0], end=period[1])
    customer = request.customer
    content = statement_pdf(biller=request.biller, customer=customer, statement=statement)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{statement_filename(customer, statement)}"'
    return response
