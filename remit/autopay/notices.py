"""What Auto Pay tells people: the advance notice of its payments (``autopay_send_notices``), the
biller's notice of invoices above the maximum, and the emails of the other Auto Pay actions
(``email_admins``), each naming a private account only as ``payments.disclosure`` allows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from remit.autopay.links import skip_url
from remit.autopay.models import AutoPayClaim
from remit.billers.selectors import owner_emails
from remit.customers.models import AccountType, Customer
from remit.customers.selectors import admins
from remit.notifications.actions import email_send
from remit.notifications.categories import EmailCategory
from remit.payments.disclosure import email_people
from remit.payments.models import BankAccount, PaymentStatus


def email_admins(
    customer: Customer,
    template: str,
    context: dict[str, Any],
    *,
    accounts: Sequence[BankAccount | None] = (),
    category: str | None = None,
) -> None:
    """Tell the customer's admins; a colleague's private account among ``accounts`` is named to the
    others only as whose it is (one message per way of seeing it, ``email_people``). Essential unless
    a ``category`` is given (then an admin who opted out of it gets nothing)."""
    biller = customer.biller
    context = {**context, "customer": customer, "autopay_url": biller.portal_url("autopay/")}
    email_people(
        people=admins(customer.pk),
        accounts=accounts,
        template=template,
        biller=biller,
        context=context,
        category=category,
    )


def advance_notice_category(customer: Customer) -> str | None:
    """Whether the advance notice of Auto Pay's payments may be unsubscribed from. For a Personal
    (consumer) account it is the notice of a varying debit that Regulation E (12 CFR 1005.10(d)) and
    the NACHA Rules (notice of variable debits to consumer accounts) require, with its amount and date,
    before each debit: it always goes. For a Business account nothing requires it; it is an Auto Pay
    notice its admins may stop. An account whose type is not known yet is treated as Personal."""
    return EmailCategory.AUTOPAY if customer.account_type == AccountType.BUSINESS else None


def autopay_send_notices(*, limit_customers: int = 500) -> int:
    """The advance notice (issue 6, 5): for each customer with new or changed Auto Pay payments, one
    email to its admins with each payment's amount, date, masked account and a link to skip it; and
    for invoices above the maximum, a notice to the biller that the rest must be paid by hand.
    Each claim is notified once: the conditional update decides which run sends it."""
    sent = 0
    customer_ids = list(
        AutoPayClaim.objects.filter(notified_at__isnull=True)
        .values_list("customer_id", flat=True)
        .distinct()
        .order_by("customer_id")[:limit_customers]
    )
    for customer_id in customer_ids:
        with transaction.atomic():
            claims = list(
                AutoPayClaim.objects.select_related("payment__bank_account__added_by", "invoice")
                .filter(customer_id=customer_id, notified_at__isnull=True)
                .order_by("payment__pay_on", "invoice_id")
            )
            mine = AutoPayClaim.objects.filter(pk__in=[c.pk for c in claims], notified_at__isnull=True)
            if mine.update(notified_at=timezone.now()) != len(claims):
                transaction.set_rollback(True)  # another run is sending these
                continue
            upcoming = [c for c in claims if c.payment.status == PaymentStatus.SCHEDULED]
            if not upcoming:
                continue
            customer = Customer.objects.select_related("biller").get(pk=customer_id)
            items = [(claim, skip_url(claim.payment, customer.biller)) for claim in upcoming]
            email_admins(
                customer,
                "autopay_scheduled",
                {"items": items},
                accounts=[c.payment.bank_account for c in upcoming],
                category=advance_notice_category(customer),
            )
            limited = [c for c in upcoming if c.left_to_pay_cents > 0]
            if limited:
                _email_biller_limit(customer, limited)
            sent += 1
    return sent


def _email_biller_limit(customer: Customer, claims: list[AutoPayClaim]) -> None:
    biller = customer.biller
    owners = owner_emails(biller.pk)
    if owners:
        email_send(
            to=owners,
            template="autopay_limit_biller",
            biller=biller,
            context={
                "customer": customer,
                "claims": claims,
                "console_url": f"{settings.REMIT_BASE_URL}/console/{biller.slug}/payments/",
            },
        )
