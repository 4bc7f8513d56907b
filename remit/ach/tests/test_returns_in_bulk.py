"""A return file with many returns for a few customer accounts: every payment returned once, every
invoice open again, one email per customer account and one digest to the biller, in a number of
queries that does not grow with the number of returns."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.models import AchReturn
from remit.ach.returns import ach_import_returns
from remit.ach.stored import file_text
from remit.ach.tests.test_export import ach_fields
from remit.invoices.models import Invoice
from remit.lib.money import format_cents
from remit.notifications.models import OutboundEmail
from remit.payments.actions import payments_settle
from remit.payments.models import Payment, PaymentEvent, PaymentStatus
from remit.test import (
    ach_payment_rows,
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    parts,
    soonest_pay_on,
)
from remit.webhooks.models import EventType, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db

CUSTOMERS = 3


@pytest.fixture
def sent(run_on_commit):
    """36 payments sent to the bank, 12 per customer account (a third of them settled since), and the
    outbound file's text."""
    acme, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=acme, actor=owner, fields=ach_fields())
    WebhookEndpoint.objects.create(
        biller=acme, url="https://hooks.example/remit", events=[EventType.PAYMENT_RETURNED], secret_encrypted="x"
    )
    pay_on = soonest_pay_on(acme)
    payments = []
    for n in range(CUSTOMERS):
        customer = make_customer(acme, f"Customer {n}", email=f"ap@c{n}.example")
        make_portal_user(customer)
        for k in range(12):
            invoice = make_invoice(customer, amount_cents=1000 * (n + 1) + k, number=f"C{n}-{k:02d}")
            payments.append(ach_payment_rows(customer, [(invoice, invoice.total_cents)], pay_on=pay_on))
    with run_on_commit(execute=True):
        result = ach_export(biller=acme, effective_date=pay_on)
    assert result.file is not None and result.payments == len(payments)
    with transaction.atomic():
        payments_settle([p.pk for p in payments[::3]], note="Settled")
    return acme, [Payment.objects.get(pk=p.pk) for p in payments], file_text(result.file)


def outbox(after: int = 0) -> list[EmailMessage]:
    """The emails written to the outbox (in the import's transaction) after the one with id ``after``."""
    rows = OutboundEmail.objects.filter(pk__gt=after).order_by("pk")
    return [email.message_from_bytes(bytes(row.raw), policy=email.policy.default) for row in rows]


def last_email_id() -> int:
    return OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def import_returns(acme, outbound, payments, code="R01"):
    text = returns_for(outbound, today=timezone.localdate(), returns={p.ach_entry.trace_number: code for p in payments})
    with CaptureQueriesContext(connection) as queries:
        result = ach_import_returns(text=text, filename="returns.ach", biller=acme)
    return result, len(queries)


def test_many_returns_for_a_few_customers(sent):
    acme, payments, outbound = sent
    small = [p for n in range(CUSTOMERS) for p in payments[n * 12 : n * 12 + 2]]  # 2 per customer account
    large = [p for p in payments if p not in small]  # 10 per customer account

    first, small_queries = import_returns(acme, outbound, small)
    before = last_email_id()
    second, large_queries = import_returns(acme, outbound, large)

    assert (first.returned, second.returned) == (len(small), len(large))
    assert large_queries <= small_queries, "the queries grow with the number of returns"
    assert AchReturn.objects.count() == len(payments)
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.RETURNED}
    returned_events = PaymentEvent.objects.filter(to_status=PaymentStatus.RETURNED)
    assert sorted(returned_events.values_list("payment_id", flat=True)) == sorted(p.pk for p in payments)
    assert returned_events.filter(from_status=PaymentStatus.SETTLED).count() == len(payments[::3])
    for invoice in Invoice.objects.all():
        assert (invoice.paid_cents, invoice.pending_cents, invoice.available_cents) == (0, 0, invoice.total_cents)
    # One email per customer account (its admin), one digest to the biller, per file.
    mails = outbox(before)
    customer_mails = [m for m in mails if "were returned by your bank" in m["Subject"]]
    assert sorted(m["To"] for m in customer_mails) == [f"ap@c{n}.example" for n in range(CUSTOMERS)]
    assert customer_mails[0]["Subject"].startswith("10 payments to Acme Supply Co.")
    text = parts(next(m for m in customer_mails if m["To"] == "ap@c0.example"))["text/plain"]
    assert all(f"C0-{k:02d}" in text for k in range(2, 12)) and "C1-" not in text and "R01: Insufficient funds" in text
    digest = f"30 payments returned ({format_cents(sum(p.amount_cents for p in large))})"
    # The settled ones had receipts: one notice per customer account withdraws its three.
    withdrawn = [m for m in mails if m["Subject"].startswith("3 receipts from Acme Supply Co. are withdrawn")]
    assert sorted(m["To"] for m in withdrawn) == [f"ap@c{n}.example" for n in range(CUSTOMERS)]
    assert [m["Subject"] for m in mails if m not in customer_mails and m not in withdrawn] == [digest]
    # One payment.returned webhook per payment, with its code.
    events = WebhookEvent.objects.filter(type=EventType.PAYMENT_RETURNED)
    assert sorted(e.payload["id"] for e in events) == sorted(p.pk for p in payments)
    assert {e.payload["return"]["code"] for e in events} == {"R01"}


def test_the_same_payment_returned_by_a_second_file_is_left_alone(sent):
    acme, payments, outbound = sent
    import_returns(acme, outbound, payments[:4])
    before = last_email_id()
    again, _ = import_returns(acme, outbound, payments[:5], code="R02")  # another file: four returned already
    assert again.returned == 1 and again.blocked_accounts == 1
    assert AchReturn.objects.count() == 5 and list(AchReturn.objects.filter(code="R02").values_list(
        "entry__payment_id", flat=True)) == [payments[4].pk]  # fmt: skip
    assert PaymentEvent.objects.filter(to_status=PaymentStatus.RETURNED).count() == 5
    assert len([m for m in outbox(before) if "returned by your bank" in m["Subject"]]) == 1


def test_one_email_per_customer_names_a_private_account_only_to_its_owner(run_on_commit):
    acme, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=acme, actor=owner, fields=ach_fields())
    customer = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    admin = make_portal_user(customer)
    member = make_portal_user(customer, email="clerk@globex.example", role="member")
    shared = make_bank_account(admin, number="111122223333")
    private = make_bank_account(member, private=True, number="444455556666")
    pay_on = soonest_pay_on(acme)
    payments = []
    for n, (account, payer) in enumerate(((shared, admin), (private, member))):
        invoice = make_invoice(customer, amount_cents=5000 + n, number=f"INV-{n}")
        payment = ach_payment_rows(customer, [(invoice, invoice.total_cents)], pay_on=pay_on)
        Payment.objects.filter(pk=payment.pk).update(bank_account=account, created_by=payer)
        payments.append(payment)
    with run_on_commit(execute=True):
        record = ach_export(biller=acme, effective_date=pay_on).file
    assert record is not None
    outbound = file_text(record)
    before = last_email_id()
    import_returns(acme, outbound, [Payment.objects.get(pk=p.pk) for p in payments], code="R02")
    mails = [m for m in outbox(before) if "returned by your bank" in m["Subject"]]
    by_reader = {m["To"]: parts(m)["text/plain"] for m in mails}
    assert sorted(by_reader) == ["ap@globex.example", "clerk@globex.example"]  # one message per way of seeing
    assert "INV-0" in by_reader["ap@globex.example"] and "INV-1" in by_reader["ap@globex.example"]
    assert "6666" not in by_reader["ap@globex.example"] and "a private account of" in by_reader["ap@globex.example"]
    assert "••••6666" in by_reader["clerk@globex.example"] and "••••3333" in by_reader["clerk@globex.example"]
    assert by_reader["ap@globex.example"].count("can't be used for payments any more") == 2


def test_many_r01_returns_are_retried_in_bulk_one_email_per_customer(sent):
    """With the biller's retries on, every R01 return gets its retry, in a number of queries that does
    not grow with the returns, and each customer account one email saying when, with skip links."""
    from remit.ach.retry_policy import retry_policy_save
    from remit.billers.models import Membership

    acme, payments, outbound = sent
    owner = Membership.objects.select_related("user").get(biller=acme, role="owner").user
    retry_policy_save(biller=acme, actor=owner, retries=2, timing="days", days=3)
    small = [p for n in range(CUSTOMERS) for p in payments[n * 12 : n * 12 + 2]]
    large = [p for p in payments if p not in small]

    first, small_queries = import_returns(acme, outbound, small)
    before = last_email_id()
    second, large_queries = import_returns(acme, outbound, large)

    assert (first.retries, second.retries) == (len(small), len(large))
    assert large_queries <= small_queries, "the queries grow with the number of retries"
    retries = Payment.objects.exclude(retry_of=None)
    assert sorted(retries.values_list("retry_of_id", flat=True)) == sorted(p.pk for p in payments)
    for retry in retries.select_related("retry_of"):
        original = retry.retry_of
        assert original is not None
        assert (retry.amount_cents, retry.bank_account_id) == (original.amount_cents, original.bank_account_id)
        assert retry.status == PaymentStatus.SCHEDULED
    for invoice in Invoice.objects.all():
        assert (invoice.pending_cents, invoice.available_cents) == (invoice.total_cents, 0)
    customer_mails = [m for m in outbox(before) if "were returned by your bank" in m["Subject"]]
    assert len(customer_mails) == CUSTOMERS
    text = parts(customer_mails[0])["text/plain"]
    assert text.count("We'll try again on") == 10 and text.count("/payments/retry-skip/") == 10
