"""Every portal read starts from the signed-in person's membership, so it can only ever reach their
own customer account at this biller. Anything else is 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum
from django.http import Http404, HttpRequest

from remit.billers.models import Biller
from remit.customers.models import Customer, CustomerMembership
from remit.invoices.amounts import balance_sql, status_filter, status_sql
from remit.invoices.models import Invoice
from remit.payments.models import Payment
from remit.users.models import User


def portal_member(request: HttpRequest, biller: Biller) -> CustomerMembership | None:
    """The signed-in person's membership, if they are an active portal user of this biller."""
    user = request.user
    if not (user.is_authenticated and isinstance(user, User) and user.is_active and user.biller_id == biller.pk):
        return None
    return CustomerMembership.objects.select_related("customer__autopay", "user").filter(user=user).first()


def invoices_of(customer: Customer, *, today: date, status: str = "") -> QuerySet[Invoice]:
    """Every invoice the biller created for this customer — emailed or not, void ones too."""
    invoices = Invoice.objects.filter(biller_id=customer.biller_id, customer=customer)
    if status:
        invoices = invoices.filter(status_filter(status, today))
    return invoices.annotate(status_value=status_sql(today)).order_by("-issue_date", "-pk")


def outstanding_invoices(customer: Customer, *, today: date) -> QuerySet[Invoice]:
    return invoices_of(customer, today=today, status="outstanding").order_by("due_date", "pk")


def outstanding_total(customer: Customer, *, today: date) -> int:
    total = (
        Invoice.objects.filter(customer=customer)
        .filter(status_filter("outstanding", today))
        .aggregate(total=Sum(balance_sql()))["total"]
    )
    return int(total or 0)


def invoice_of(customer: Customer, invoice_id: int, *, today: date) -> Invoice:
    invoice = invoices_of(customer, today=today).filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def recent_payments(customer: Customer, *, limit: int = 5) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(biller_id=customer.biller_id, customer=customer)
        .prefetch_related("allocations__invoice")
        .order_by("-pay_on", "-pk")[:limit]
    )


def autopay_left_to_pay(customer: Customer) -> list[Any]:
    """Invoices Auto Pay is paying only up to the maximum: what the customer must still pay by hand."""
    from remit.autopay.models import AutoPayClaim
    from remit.payments.models import PaymentStatus

    return list(
        AutoPayClaim.objects.select_related("invoice", "payment")
        .filter(customer=customer, left_to_pay_cents__gt=0, payment__status=PaymentStatus.SCHEDULED)
        .order_by("payment__pay_on")[:10]
    )
