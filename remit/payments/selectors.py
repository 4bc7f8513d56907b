"""Which bank accounts a person may see and use, and their payments — always within their own
customer account; a colleague's private account never appears."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.http import Http404

from remit.customers.models import CustomerMembership
from remit.payments.models import BankAccount, BankAccountStatus, Payment


def visible_bank_accounts(membership: CustomerMembership) -> QuerySet[BankAccount]:
    """The shared accounts of the customer account, and this person's own private ones (any status)."""
    return BankAccount.objects.filter(customer_id=membership.customer_id).filter(
        Q(is_private=False) | Q(added_by_id=membership.user_id)
    )


def usable_bank_accounts(membership: CustomerMembership) -> QuerySet[BankAccount]:
    """The accounts this person may pay from now."""
    return visible_bank_accounts(membership).filter(status=BankAccountStatus.ACTIVE).order_by("created_at", "pk")


def bank_account_for(membership: CustomerMembership, bank_account_id: int) -> BankAccount:
    """A visible account by id; 404 for anyone else's (another customer's, a colleague's private one)."""
    account = visible_bank_accounts(membership).filter(pk=bank_account_id).first()
    if account is None:
        raise Http404("No such bank account.")
    return account


def payments_of(membership: CustomerMembership) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(customer_id=membership.customer_id)
        .select_related("bank_account__added_by", "created_by")
        .prefetch_related("allocations__invoice")
        .order_by("-pay_on", "-pk")
    )


def payment_for(membership: CustomerMembership, payment_id: int) -> Payment:
    payment = payments_of(membership).filter(pk=payment_id).first()
    if payment is None:
        raise Http404("No such payment.")
    return payment


def retry_chain(payment: Payment) -> list[Payment]:
    """A payment's retry chain, oldest first: the original payment and every retry of it (a retry
    points at the original, ``Payment.retry_of``), each with ``return_code`` (its return's R code, or
    None). A payment that was never retried and is no retry: itself only. One query."""
    original = payment.retry_of_id or payment.pk
    return list(
        Payment.objects.filter(Q(pk=original) | Q(retry_of_id=original))
        .annotate(return_code=F("ach_entry__ach_return__code"))
        .order_by("pk")
    )
