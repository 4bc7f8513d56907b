"""Receipts: the payer's proof that the money was received.

A receipt is issued when a payment **settles**, never when it is scheduled (a scheduled or sent
debit can still bounce): by ``payments_settle`` (an ACH debit no return came back for in time),
``payments_restore_many`` (a dishonored return: the debit stands after all) and
``payment_record_offline`` (a check, a wire: money the biller already holds, so it is as settled as
money gets, and the customer deserves the same proof of it). A payment returned after its receipt
withdraws the receipt, and the people who got it are told so, once.

Who gets it: the person who scheduled the payment, while they still have access to the account;
otherwise (Auto Pay, a retry the biller made, money recorded by the biller, a payer who left) the
customer's admins; an account without portal people gets it at its billing email addresses. The
bank account in the email and its PDF is described as ``payments.disclosure`` allows each reader.

Everything works in bulk: settlement may settle thousands of payments at once, so a fixed number
of queries per ``IDS_PER_STATEMENT`` payments (one counter statement per biller) — never one per
payment — and the emails go in one ``outbox_batch``, in the transaction of the settlement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.utils import timezone

from remit.billers.models import Biller
from remit.customers.models import Customer, CustomerMembership
from remit.customers.selectors import admins_of
from remit.ledger.counters import advance_counter
from remit.lib.bulk import IDS_PER_STATEMENT, batches, require_ids
from remit.lib.transactions import require_transaction
from remit.notifications.actions import email_send, outbox_batch
from remit.payments.disclosure import Viewer, viewer_groups
from remit.payments.models import (
    Allocation,
    BankAccount,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Receipt,
    ReceiptCounter,
)
from remit.payments.receipt_pdf import receipt_pdf
from remit.users.models import User

PREFIX = "R-"
DIGITS = 6


def format_receipt_number(number: int) -> str:
    return f"{PREFIX}{number:0{DIGITS}d}"


def receipts_issue(payment_ids: Sequence[int], *, settled_on: date | None = None) -> list[Receipt]:
    """Issue a receipt for each of these payments that is settled and has none yet, and email it to
    its payer with the PDF. Call inside the transaction that settled them (after the move), which
    holds their rows: a second settlement of the same payments finds them settled already and moves
    none, and the database refuses a second receipt for a payment in any case."""
    require_transaction("Issuing receipts")
    settled_on = settled_on or timezone.localdate()
    issued: list[Receipt] = []
    for chunk in batches(sorted(set(payment_ids)), IDS_PER_STATEMENT):
        due = list(
            Payment.objects.filter(pk__in=chunk, status=PaymentStatus.SETTLED, receipt__isnull=True)
            .order_by("pk")
            .values_list("pk", "biller_id", "amount_cents")
        )
        by_biller: dict[int, list[tuple[int, int]]] = {}
        for pk, biller_id, cents in due:
            by_biller.setdefault(biller_id, []).append((pk, cents))
        rows: list[Receipt] = []
        for biller_id in sorted(by_biller):
            first = advance_counter(ReceiptCounter, biller_id=biller_id, count=len(by_biller[biller_id]))
            rows += [
                Receipt(
                    biller_id=biller_id,
                    payment_id=pk,
                    number=format_receipt_number(first + offset),
                    amount_cents=cents,
                    settled_on=settled_on,
                )
                for offset, (pk, cents) in enumerate(by_biller[biller_id])
            ]
        Receipt.objects.bulk_create(rows)
        require_ids(rows)
        _tell(rows)
        issued += rows
    return issued


def receipts_withdraw(returned: Mapping[int, tuple[str, str]]) -> list[int]:
    """These payments came back from the bank (payment id → (R code, the history's note)): their
    receipts, where they have one still standing, are withdrawn and the payer is told, once (a
    receipt already withdrawn is left alone). Returns the withdrawn receipts' payment ids. Call
    inside the transaction of the return, which holds the payments' rows."""
    require_transaction("Withdrawing receipts")
    now = timezone.now()
    withdrawn: list[int] = []
    for chunk in batches(sorted(returned), IDS_PER_STATEMENT):
        standing = list(
            Receipt.objects.filter(payment_id__in=chunk, withdrawn_at__isnull=True).order_by("pk").select_for_update()
        )
        by_return: dict[tuple[str, str], list[int]] = {}
        for receipt in standing:
            receipt.withdrawn_at = now
            receipt.withdrawn_code, receipt.withdrawn_note = returned[receipt.payment_id]
            by_return.setdefault(returned[receipt.payment_id], []).append(receipt.pk)
        for (code, note), ids in by_return.items():
            Receipt.objects.filter(pk__in=ids).update(withdrawn_at=now, withdrawn_code=code, withdrawn_note=note[:500])
        _tell_withdrawn(standing)
        withdrawn += [receipt.payment_id for receipt in standing]
    return withdrawn


def receipts_reinstate(payment_ids: Sequence[int], *, settled_on: date | None = None) -> None:
    """A dishonored return restored these payments (returned → settled): a withdrawn receipt stands
    again (the payment_restored email tells the payer), and a payment returned before it ever
    settled gets its first receipt now."""
    require_transaction("Reinstating receipts")
    for chunk in batches(sorted(set(payment_ids)), IDS_PER_STATEMENT):
        Receipt.objects.filter(payment_id__in=chunk, withdrawn_at__isnull=False).update(
            withdrawn_at=None, withdrawn_code="", withdrawn_note=""
        )
    receipts_issue(payment_ids, settled_on=settled_on)


@dataclass
class _Reader:
    """Who reads one receipt email: portal people (the disclosure rules apply to each) or the
    account's billing addresses (read as someone without a sign-in)."""

    people: list[User]
    addresses: list[str]


def _tell(receipts: list[Receipt]) -> None:
    """Email each receipt to its readers: one message per way of seeing its bank account, each with
    the PDF as that reader may read it. A fixed number of queries, however many receipts."""
    if not receipts:
        return
    readers = _load(receipts)
    with outbox_batch():  # one INSERT per 100 emails
        for receipt in receipts:
            for viewer, to in _groups(readers[receipt.payment_id], [receipt.payment.bank_account]):
                pdf = receipt_pdf(receipt, viewer=viewer)
                email_send(
                    to=to,
                    template="receipt",
                    biller=receipt.biller,
                    context=receipt_context(receipt, viewer=viewer),
                    attachments=[(receipt.filename, pdf, "application/pdf")],
                )


def _tell_withdrawn(receipts: list[Receipt]) -> None:
    """Tell the readers of these receipts that they are withdrawn: one email per customer account and
    readers (a return file of ten payments of one account is one notice, as its return email is),
    one message per way of seeing the accounts."""
    if not receipts:
        return
    readers = _load(receipts)
    together: dict[tuple[object, ...], list[Receipt]] = {}
    for receipt in receipts:
        reader = readers[receipt.payment_id]
        key = (receipt.payment.customer_id, *(p.pk for p in reader.people), *reader.addresses)
        together.setdefault(key, []).append(receipt)
    with outbox_batch():
        for items in together.values():
            first = items[0]
            accounts = [r.payment.bank_account for r in items]
            for viewer, to in _groups(readers[first.payment_id], accounts):
                one = len(items) == 1
                email_send(
                    to=to,
                    template="receipt_withdrawn",
                    biller=first.biller,
                    context={
                        "customer": first.payment.customer,
                        "withdrawn": [receipt_context(r, viewer=viewer) for r in items],
                        "count": len(items),
                        "total_cents": sum(r.amount_cents for r in items),
                        "receipt": first if one else None,
                        "viewer": viewer,
                        "payments_url": first.biller.portal_url(
                            f"payments/{first.payment_id}/" if one else "payments/"
                        ),
                    },
                )


def _load(receipts: list[Receipt]) -> dict[int, _Reader]:
    """Each receipt's payment, with what it names, and each payment's readers, by payment id."""
    payments = _payments_for_receipts([r.payment_id for r in receipts])
    for receipt in receipts:
        receipt.payment = payments[receipt.payment_id]
        receipt.biller = receipt.payment.customer.biller
    return _readers(list(payments.values()))


def receipt_context(receipt: Receipt, *, viewer: Viewer) -> dict[str, Any]:
    """What a receipt says (its emails and its PDF): the payment, its invoices, the account."""
    payment = receipt.payment
    return {
        "receipt": receipt,
        "payment": payment,
        "customer": payment.customer,
        "account": payment.bank_account,
        "allocations": list(payment.allocations.all()),
        "viewer": viewer,
        "payment_url": payment.customer.biller.portal_url(f"payments/{payment.pk}/"),
    }


def _groups(reader: _Reader, accounts: list[BankAccount | None]) -> Iterable[tuple[Viewer, list[str]]]:
    """The readers in groups that may see the accounts alike (a private account's owner, the others),
    each with a viewer standing for the group (as ``disclosure.email_people``)."""
    if reader.people:
        for people in viewer_groups(reader.people, accounts):
            yield people[0], [person.email for person in people]
    elif reader.addresses:
        yield AnonymousUser(), reader.addresses


def _payments_for_receipts(ids: list[int]) -> dict[int, Payment]:
    """The payments with what a receipt names, in a few queries: their invoices, account holder,
    payer, customer account and biller (one object each, however many payments share it)."""
    allocations = Allocation.objects.select_related("invoice").order_by("invoice__due_date", "invoice_id")
    payments = (
        Payment.objects.select_related("bank_account__added_by", "created_by")
        .prefetch_related(Prefetch("allocations", queryset=allocations))
        .in_bulk(ids)
    )
    customers = Customer.objects.select_related("biller").in_bulk(list({p.customer_id for p in payments.values()}))
    for payment in payments.values():
        payment.customer = customers[payment.customer_id]
    return payments


def _readers(payments: list[Payment]) -> dict[int, _Reader]:
    """Each payment's readers (see the module's text). Two queries, however many payments."""
    customer_ids = {payment.customer_id for payment in payments}
    admins = admins_of(customer_ids)
    payer_ids = [p.created_by_id for p in payments if p.created_by_id is not None]
    member_of = dict(
        CustomerMembership.objects.filter(user_id__in=payer_ids, user__is_active=True).values_list(
            "user_id", "customer_id"
        )
    )
    readers: dict[int, _Reader] = {}
    for payment in payments:
        payer = payment.created_by
        if (
            payment.method == PaymentMethod.ACH
            and not payment.is_autopay
            and payer is not None
            and member_of.get(payer.pk) == payment.customer_id
        ):
            people = [payer]
        else:
            people = list(admins.get(payment.customer_id, []))
        readers[payment.pk] = _Reader(people=people, addresses=list(payment.customer.billing_emails or []))
    return readers


def receipt_of_biller(biller: Biller, payment_id: int) -> Receipt | None:
    """The receipt of one of the biller's payments (console, API), with what its PDF names."""
    receipt = Receipt.objects.filter(biller=biller, payment_id=payment_id).first()
    if receipt is None:
        return None
    return _with_payment(receipt)


def receipt_of_payment(payment: Payment) -> Receipt | None:
    """A payment's receipt, when it has one (the portal: ``payment`` is already scoped to its reader)."""
    receipt = Receipt.objects.filter(payment_id=payment.pk).first()
    return _with_payment(receipt) if receipt is not None else None


def _with_payment(receipt: Receipt) -> Receipt:
    receipt.payment = _payments_for_receipts([receipt.payment_id])[receipt.payment_id]
    receipt.biller = receipt.payment.customer.biller
    return receipt
