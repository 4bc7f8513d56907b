"""The retry's skip link (from the email that told the customer of a returned payment and its retry):
shows the retry and asks; only the POST skips it (``remit.ach.retrying.retry_skip``: cancelled, the
skip recorded, the chain never retried again). Mail scanners open links: a GET changes nothing."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from remit.ach.retry_links import retry_from_token
from remit.ach.retrying import retry_skip
from remit.payments.actions import PaymentError
from remit.portal.context import PortalRequest, portal_view


@portal_view
def retry_skip_link(request: PortalRequest, token: str) -> HttpResponse:
    payment = retry_from_token(token, biller_id=request.biller.pk)
    if payment is None:
        raise Http404("This link is not valid.")
    invoices = [a.invoice for a in payment.allocations.select_related("invoice")]
    done, error = False, ""
    if request.method == "POST":
        try:
            payment = retry_skip(payment=payment, actor=None)  # the signature is the authority
        except PaymentError as problem:
            error = str(problem)
        else:
            done = True
    context = {"payment": payment, "invoices": invoices, "done": done, "error": error}
    return render(request, "portal/retry_skip.html", context)
