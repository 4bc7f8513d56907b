"""Emails about what happened at the bank: a payment's new date, returned payments (one email per
customer account, one digest per biller), payments restored by a dishonored return, and what in a
return file needs the biller (dishonored and contested returns, returned offsets). The customer's
admins and the payer are told; the account is named to each as ``payments.disclosure`` allows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects

from remit.ach.codes import RETURN_MEANINGS
from remit.ach.models import AchDishonor, AchOffsetReturn, AchReturn, InboundFile
from remit.ach.retry_links import skip_url
from remit.billers.models import Biller
from remit.billers.selectors import owner_emails
from remit.customers.models import Customer
from remit.customers.selectors import admins_of
from remit.notifications.actions import email_send, outbox_batch
from remit.payments.disclosure import email_people, payment_people, with_person
from remit.payments.models import Allocation, BankAccount, Payment
from remit.users.models import User

CHUNK = 500  # returned payments read per round of queries


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
            people=payment_people(payment),
            accounts=[payment.bank_account],
            template="payment_moved",
            biller=payment.customer.biller,
            context=_context(payment),
        )


@dataclass(frozen=True)
class Returned:
    """A payment the bank returned, as its customer is told about it."""

    payment_id: int
    customer_id: int
    code: str
    meaning: str
    blocked: bool  # the code says the account can't be debited again
    autopay_off: bool  # Auto Pay used the account and was turned off with it
    retry_id: int | None = None  # the retry scheduled for it (R01/R09 under the biller's policy)


def tell_customers_returned(returned: Sequence[Returned]) -> None:
    """One email per customer account listing its returned payments, to its admins and whoever
    scheduled one of them (every member may see the account's payments); each bank account named as
    ``payments.disclosure`` allows the reader. A few queries per 500 payments, however many
    customers. Call in the transaction of the returns."""
    by_customer: dict[int, list[Returned]] = {}
    for item in returned:
        by_customer.setdefault(item.customer_id, []).append(item)
    group: list[int] = []
    in_group = 0  # returned payments of the customers in ``group``
    for customer_id in sorted(by_customer):
        group.append(customer_id)
        in_group += len(by_customer[customer_id])
        if in_group >= CHUNK:
            _tell_customers({c: by_customer[c] for c in group})
            group, in_group = [], 0
    if group:
        _tell_customers({c: by_customer[c] for c in group})


def _tell_customers(by_customer: dict[int, list[Returned]]) -> None:
    ids = [item.payment_id for items in by_customer.values() for item in items]
    allocations = (
        Allocation.objects.select_related("invoice")
        .only("payment_id", "invoice__number", "invoice__due_date")  # what the email says of an invoice
        .order_by("invoice__due_date", "pk")
    )
    payments = (
        Payment.objects.only("customer_id", "amount_cents", "pay_on", "bank_account_id", "created_by_id")
        .prefetch_related(Prefetch("allocations", queryset=allocations))
        .in_bulk(ids)
    )
    # One object per customer account, bank account and payer, not one per payment.
    customers = Customer.objects.select_related("biller").in_bulk(list(by_customer))
    accounts = BankAccount.objects.select_related("added_by").in_bulk(
        list({p.bank_account_id for p in payments.values() if p.bank_account_id is not None})
    )
    payers = User.objects.in_bulk(list({p.created_by_id for p in payments.values() if p.created_by_id is not None}))
    for payment in payments.values():
        payment.customer = customers[payment.customer_id]
        payment.bank_account = accounts.get(payment.bank_account_id) if payment.bank_account_id else None
        payment.created_by = payers.get(payment.created_by_id) if payment.created_by_id else None
    admins = admins_of(by_customer)
    retry_ids = [item.retry_id for items in by_customer.values() for item in items if item.retry_id is not None]
    retries = Payment.objects.only("pk", "customer_id", "pay_on").in_bulk(retry_ids) if retry_ids else {}
    with outbox_batch():  # one INSERT per 100 emails
        for customer_id, items in by_customer.items():
            mine = [payments[item.payment_id] for item in sorted(items, key=lambda i: i.payment_id)]
            people = list(admins.get(customer_id, []))
            for payment in mine:
                with_person(people, payment.created_by)
            if people:
                _tell_customer(people, mine, {item.payment_id: item for item in items}, retries)


def _tell_customer(
    people: list[User], payments: list[Payment], said: dict[int, Returned], retries: dict[int, Payment]
) -> None:
    customer = payments[0].customer
    biller = customer.biller
    returns = [
        {
            "payment": payment,
            "account": payment.bank_account,
            "allocations": list(payment.allocations.all()),
            "code": said[payment.pk].code,
            "meaning": said[payment.pk].meaning,
            "retry": (retry := retries.get(said[payment.pk].retry_id or 0)),
            "skip_url": skip_url(retry, biller) if retry is not None else "",
        }
        for payment in payments
    ]
    accounts = list({p.bank_account_id: p.bank_account for p in payments if p.bank_account is not None}.values())
    blocked: dict[int, dict[str, Any]] = {}  # the accounts that can't be used any more, once each
    for payment in payments:
        if said[payment.pk].blocked and payment.bank_account is not None:
            item = blocked.setdefault(payment.bank_account.pk, {"account": payment.bank_account, "autopay_off": False})
            item["autopay_off"] = item["autopay_off"] or said[payment.pk].autopay_off
    one = len(payments) == 1
    email_people(
        people=people,
        accounts=accounts,
        template="payment_returned",
        biller=biller,
        context={
            "customer": customer,
            "returns": returns,
            "payment": payments[0] if one else None,
            "count": len(payments),
            "total_cents": sum(payment.amount_cents for payment in payments),
            "blocked": list(blocked.values()),
            "retried": any(row["retry"] for row in returns),
            "payments_url": biller.portal_url(f"payments/{payments[0].pk}/" if one else "payments/"),
        },
    )


def tell_biller_returned(returns: list[AchReturn]) -> None:
    """One email per imported file and biller, listing its returned payments (not one per payment)."""
    by_biller: dict[int, list[AchReturn]] = {}
    for record in returns:
        by_biller.setdefault(record.entry.biller_id, []).append(record)
    for biller_id, records in by_biller.items():
        biller = Biller.objects.get(pk=biller_id)
        prefetch_related_objects([record.entry.payment for record in records[:50]], "customer")  # their names
        _mark_retries(records[:50])
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


def _mark_retries(records: list[AchReturn]) -> None:
    """Each listed return's ``retry``: the retry of its chain now scheduled (``retrying``), or None.
    One query, when one of them may have been retried."""
    if not any(record.code in ("R01", "R09") for record in records):
        return
    originals = {record.entry.payment.retry_of_id or record.entry.payment_id: record for record in records}
    scheduled = {
        retry.retry_of_id: retry
        for retry in Payment.objects.filter(retry_of_id__in=list(originals), status="scheduled").only(
            "pk", "retry_of_id", "pay_on"
        )
    }
    for record in records:
        record.retry = scheduled.get(record.entry.payment.retry_of_id or record.entry.payment_id)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Restored:
    """A returned payment that stands after all: its return was dishonored by the biller's bank."""

    payment_id: int
    customer_id: int
    code: str  # the dishonor's code, e.g. "R68"
    return_code: str  # the return it refused, e.g. "R01"
    blocked: bool  # the return had blocked the account; it stays blocked
    adjusted: list[int]  # scheduled payments that gave up their part of its invoices


def tell_customers_restored(restored: Sequence[Restored]) -> None:
    """One email per customer account about its restored payments, to its admins and whoever made
    them: the invoices are paid after all, a payment scheduled for them since was reduced or
    cancelled, and a blocked account stays blocked. Call in the transaction of the restore."""
    by_customer: dict[int, list[Restored]] = {}
    for item in restored:
        by_customer.setdefault(item.customer_id, []).append(item)
    for items in by_customer.values():
        payments = Payment.objects.select_related("customer__biller", "bank_account__added_by", "created_by").in_bulk(
            [item.payment_id for item in items]
        )
        adjusted = Payment.objects.in_bulk([pk for item in items for pk in item.adjusted])
        people: list[User] = []
        rows = []
        for item in sorted(items, key=lambda i: i.payment_id):
            payment = payments[item.payment_id]
            people += [p for p in payment_people(payment) if p not in people]
            rows.append(
                {
                    **_context(payment),
                    "code": item.code,
                    "meaning": RETURN_MEANINGS.get(item.code, ""),
                    "return_code": item.return_code,
                    "blocked": item.blocked,
                    "adjusted": [adjusted[pk] for pk in item.adjusted if pk in adjusted],
                }
            )
        first = payments[items[0].payment_id]
        email_people(
            people=people,
            accounts=[payments[item.payment_id].bank_account for item in items],
            template="payment_restored",
            biller=first.customer.biller,
            context={
                "customer": first.customer,
                "restored": rows,
                "count": len(rows),
                "payment": first if len(rows) == 1 else None,
                "payments_url": rows[0]["payments_url"]
                if len(rows) == 1
                else first.customer.biller.portal_url("payments/"),
            },
        )


def tell_biller_exceptions(
    *, inbound: InboundFile, dishonors: Sequence[AchDishonor], offsets: Sequence[AchOffsetReturn]
) -> None:
    """One email per imported file and biller about what needs a person: dishonored and contested
    returns (what Remit did with each), and returned offset entries (the credit to the biller's own
    settlement account did not arrive: call the bank)."""
    by_biller: dict[int, tuple[list[AchDishonor], list[AchOffsetReturn]]] = {}
    for record in dishonors:
        by_biller.setdefault(record.entry.biller_id, ([], []))[0].append(record)
    for offset in offsets:
        by_biller.setdefault(offset.file.biller_id, ([], []))[1].append(offset)
    for biller_id, (its_dishonors, its_offsets) in by_biller.items():
        owners = owner_emails(biller_id)
        if not owners:
            continue
        biller = Biller.objects.get(pk=biller_id)
        prefetch_related_objects([record.entry for record in its_dishonors], "payment__customer")
        page = "" if inbound.biller_id != biller_id else f"returns/{inbound.pk}/"
        email_send(
            to=owners,
            template="ach_exceptions_biller",
            biller=biller,
            context={
                "dishonors": its_dishonors,
                "offsets": its_offsets,
                "restored": sum(1 for r in its_dishonors if r.outcome == AchDishonor.Outcome.RESTORED),
                "console_url": f"{settings.REMIT_BASE_URL}/console/{biller.slug}/ach/{page}",
            },
        )
