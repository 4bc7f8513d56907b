"""Who opted out of which emails: the biller's list (Customers → Email opt-outs) and the card on a
customer's page. Read only: an opt-out is the address owner's choice, made in the portal or by the
unsubscribe link (``remit.notifications.preferences``)."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render

from remit.console.views import ConsoleRequest, console_view, page_query
from remit.customers.models import Customer, CustomerMembership
from remit.notifications.preferences import (
    AddressOptOuts,
    opt_outs_by_address,
    opt_outs_of,
    preference_changes_of,
)

PAGE_SIZE = 50


def customer_addresses(customer: Customer) -> list[str]:
    """Every address a customer's emails go to: its billing addresses and its portal people's logins."""
    people = CustomerMembership.objects.filter(customer=customer).values_list("user__email", flat=True)
    return sorted({address.lower() for address in [*customer.billing_emails, *people]})


def customer_opt_outs(customer: Customer) -> list[AddressOptOuts]:
    """For the customer's page: the opt-outs of the customer's addresses, by address."""
    return opt_outs_by_address(biller_id=customer.biller_id, addresses=customer_addresses(customer))


def _customers_by_address(biller_id: int, addresses: list[str]) -> dict[str, list[Customer]]:
    """Whose address each one is (billing address or portal login), two queries for a page."""
    found: dict[str, dict[int, Customer]] = {address: {} for address in addresses}
    if not addresses:
        return {}
    billing = Customer.objects.filter(biller_id=biller_id).filter(
        reduce(or_, (Q(billing_emails__icontains=address) for address in addresses))
    )
    for customer in billing:
        for address in {a.lower() for a in customer.billing_emails} & found.keys():
            found[address][customer.pk] = customer
    logins = CustomerMembership.objects.filter(customer__biller_id=biller_id, user__email__in=addresses)
    for membership in logins.select_related("customer", "user"):
        found[membership.user.email.lower()][membership.customer_id] = membership.customer
    return {address: sorted(by_id.values(), key=lambda c: c.name) for address, by_id in found.items()}


@console_view()
def email_opt_outs(request: ConsoleRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    page = Paginator(opt_outs_of(biller_id=request.biller.pk, search=search), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    customers = _customers_by_address(request.biller.pk, sorted({row.address for row in page}))
    rows = [(row, customers.get(row.address, [])) for row in page]
    context = {
        "page": page,
        "rows": rows,
        "search": search,
        "query": page_query(request),
        "changes": preference_changes_of(biller_id=request.biller.pk, search=search),
    }
    return render(request, "console/customers/email_opt_outs.html", context)
