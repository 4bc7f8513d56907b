"""Emails about what happened at the bank: a payment's new date, a returned payment. The customer's
admins and the payer are told; the account is named to each as ``payments.disclosure`` allows."""

from __future__ import annotations

from django.conf import settings

from remit.ach.models import AchReturn
from remit.billers.selectors import owner_emails
from remit.customers.selectors import admins
from remit.notifications.actions import email_send
from remit.payments.disclosure import email_people
from remit.payments.models import Payment
from remit.users.models import User


def _customer_recipients(payment: Payment) -> list[User]:
    people = admins(payment.customer_id)
    if payment.created_by is not None and payment.created_by.is_active and payment.created_by not in people:
        people.append(payment.created_by)
    return people


def _context(payment: Payment) -> dict[str, object]:
    biller = payment.customer.biller
    return {
        "payment": payment,
        "customer": payment.customer,
        "account": payment.bank_account,
        "allocations": list(payment.allocations.select_related("invoice").order_by("invoice__due_date")),
        "payments_url": biller.portal_url(f"payments/{payment.pk}/"),
    }


def tell_new_pay_on(payment_ids: list[int]) -> None:
    """A payment the bank could not get in time goes out on the next banking day: its payer is told.
    Call in the transaction that moved the payments."""
    payments = Payment.objects.select_related("customer__biller", "bank_account__added_by", "created_by").filter(
        pk__in=payment_ids
    )
    for payment in payments:
        email_people(
            people=_customer_recipients(payment),
            accounts=[payment.bank_account],
            template="payment_moved",
            biller=payment.customer.biller,
            context=_context(payment),
        )


def tell_returned(payment: Payment, *, code: str, meaning: str, blocked: bool, autopay_off: bool) -> None:
    biller = payment.customer.biller
    context = {**_context(payment), "code": code, "meaning": meaning, "blocked": blocked, "autopay_off": autopay_off}
    email_people(
        people=_customer_recipients(payment),
        accounts=[payment.bank_account],
        template="payment_returned",
        biller=biller,
        context=context,
    )


def tell_biller_returned(returns: list[AchReturn]) -> None:
    """One email per imported file and biller, listing its returned payments (not one per payment)."""
    by_biller: dict[int, list[AchReturn]] = {}
    for record in returns:
        by_biller.setdefault(record.entry.biller_id, []).append(record)
    for biller_id, records in by_biller.items():
        biller = records[0].entry.payment.customer.biller
        owners = owner_emails(biller_id)
        if owners:
            email_send(
                to=owners,
                template="payments_returned_biller",
                biller=biller,
                context={
                    "returns": records[:50],
                    "count": len(records),
                    "total_cents": sum(r.entry.amount_cents for r in records),
                    "console_url": f"{settings.REMIT_BASE_URL}/console/{biller.slug}/ach/",
                },
            )
