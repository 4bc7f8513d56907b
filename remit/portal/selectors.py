"""Every portal read starts from the signed-in person's membership, so it can only ever reach their
own customer account at this biller. Anything else is 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet, Sum
from django.http import Http404, HttpRequest

from remit.billers.models import Biller
from remit.customers.models import Customer, CustomerMembership
from remit.invoices.models import Invoice
from remit.ledger.amounts import available_sql, balance_sql, status_filter, status_sql
from remit.payments.models import IN_FLIGHT, Allocation, Payment
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


@dataclass(frozen=True)
class Standing:
    """Where the customer stands with the biller: what they owe (the outstanding invoices' balances),
    how much of it payments already cover (scheduled or sent to the bank) and for when, and what is
    left to pay (the invoices' amounts available to pay)."""

    owed_cents: int
    scheduled_cents: int
    left_cents: int
    dates: list[tuple[date, int]]  # the first Pay On dates, soonest first, with what they pay
    later_cents: int  # scheduled for dates after the listed ones


STANDING_DATES = 4  # listed one by one; with more, the last line sums the rest


def standing(customer: Customer, *, today: date) -> Standing:
    """Two queries, however many invoices and payments there are."""
    outstanding = Invoice.objects.filter(biller_id=customer.biller_id, customer=customer).filter(
        status_filter("outstanding", today)
    )
    sums = outstanding.aggregate(owed=Sum(balance_sql()), scheduled=Sum("pending_cents"), left=Sum(available_sql()))
    by_date = list(
        Allocation.objects.filter(invoice__in=outstanding, payment__status__in=IN_FLIGHT)
        .values_list("payment__pay_on")
        .annotate(cents=Sum("amount_cents"))
        .order_by("payment__pay_on")[: STANDING_DATES + 1]
    )
    dates = by_date if len(by_date) <= STANDING_DATES else by_date[: STANDING_DATES - 1]
    scheduled = int(sums["scheduled"] or 0)
    return Standing(
        owed_cents=int(sums["owed"] or 0),
        scheduled_cents=scheduled,
        left_cents=int(sums["left"] or 0),
        dates=[(pay_on, int(cents)) for pay_on, cents in dates],
        later_cents=scheduled - sum(int(cents) for _, cents in dates),
    )


def with_schedule(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each invoice's ``scheduled``: the parts of payments scheduled or sent that pay it, by Pay On date
    (one more query for the whole page)."""
    in_flight = (
        Allocation.objects.filter(payment__status__in=IN_FLIGHT)
        .select_related("payment")
        .order_by("payment__pay_on", "pk")
    )
    return invoices.prefetch_related(Prefetch("allocations", queryset=in_flight, to_attr="scheduled"))


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
