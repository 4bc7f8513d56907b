"""Reads of customers, always within one biller."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from remit.billers.models import Biller
from remit.customers.models import Customer, CustomerMembership, PortalRole
from remit.users.models import User


def customers_of(biller: Biller, *, search: str = "", archived: bool = False) -> QuerySet[Customer]:
    customers = Customer.objects.filter(biller=biller, archived_at__isnull=not archived)
    for word in search.split():
        customers = customers.filter(
            Q(name__icontains=word) | Q(reference__icontains=word) | Q(billing_emails__icontains=word)
        )
    return customers.order_by("name", "pk")


def customer_of(biller: Biller, pk: int) -> Customer:
    """The customer with this id at this biller; 404 for anyone else's."""
    return get_object_or_404(Customer, biller=biller, pk=pk)


def admins(customer_id: int) -> list[User]:
    """Who a customer account's notices go to: its active admins (people, Auto Pay, bank accounts)."""
    return admins_of([customer_id]).get(customer_id, [])


def admins_of(customer_ids: Iterable[int]) -> dict[int, list[User]]:
    """``admins`` of several customer accounts in one query, by customer id (none: not in it)."""
    memberships = CustomerMembership.objects.filter(
        customer_id__in=list(customer_ids), role=PortalRole.ADMIN, user__is_active=True
    ).select_related("user")
    found: dict[int, list[User]] = {}
    for membership in memberships.order_by("pk"):
        found.setdefault(membership.customer_id, []).append(membership.user)
    return found
