"""Receipts: issued when a payment settles (never when scheduled), once, numbered per biller, emailed
to the payer with the PDF; withdrawn once when the payment comes back; in bulk with a fixed number
of queries. The ACH side (``ach_settle``, return files) is in ``ach/tests/test_receipts.py``."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from remit.notifications.models import OutboundEmail
from remit.payments.actions import Return, payment_record_offline, payments_return_many, payments_settle
from remit.payments.models import Payment, Receipt
from remit.payments.receipts import receipts_issue
from remit.test import ach_payment_rows, make_bank_account, make_biller, make_customer, make_invoice, parts

pytestmark = pytest.mark.django_db

PAY_ON = date(2026, 11, 2)
SETTLED_ON = date(2026, 11, 5)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def attachments_of(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def settle(*payments: Payment, on: date = SETTLED_ON) -> int:
    with transaction.atomic():
        return payments_settle([p.pk for p in payments], note="No return in time", settled_on=on)


def sent_payment(world, *invoices, account=None, **changes) -> Payment:
    invoices = invoices or (world.invoice(amount_cents=25000, number="INV-1"),)
    if account is not None:
        world.customer.bank_accounts.exclude(pk=account.pk).update(status="removed")
    payment = ach_payment_rows(
        world.customer, [(i, i.total_cents) for i in invoices], pay_on=PAY_ON, status="sent", **changes
    )
    Payment.objects.filter(pk=payment.pk).update(created_by=world.admin)
    payment.refresh_from_db()
    return payment


def test_a_settled_payment_gets_one_receipt_emailed_to_its_payer_with_the_pdf(world, mailbox, run_on_commit):
    account = make_bank_account(world.admin, number="987654321", holder_name="Globex Ops")
    payment = sent_payment(world, account=account)
    assert not Receipt.objects.exists()  # sent is not settled: a debit can still bounce
    with run_on_commit(execute=True):
        assert settle(payment) == 1

    receipt = Receipt.objects.get()
    assert (receipt.payment_id, receipt.number, receipt.amount_cents) == (payment.pk, "R-000001", 25000)
    assert receipt.settled_on == SETTLED_ON and receipt.biller_id == world.biller.pk
    [message] = [m for m in mailbox() if m["Subject"].startswith("Receipt")]
    assert message["To"] == "ap@globex.example"
    assert message["Subject"] == "Receipt R-000001: Acme Supply Co. received your payment of $250.00"
    text = parts(message)["text/plain"]
    assert "R-000001" in text and "$250.00" in text and "INV-1" in text and "November 5, 2026" in text
    assert "Globex Ops, Checking ••••4321" in text and "987654321" not in text
    pdf = pdf_text(attachments_of(message)["R-000001.pdf"])
    for said in ("RECEIPT", "R-000001", "$250.00", "Globex Corporation", "Acme Supply Co.", "INV-1"):
        assert said in pdf
    assert "November 5, 2026" in pdf and "••••4321" in pdf and "987654321" not in pdf


def test_settling_again_issues_no_second_receipt_and_no_second_email(world, mailbox, run_on_commit):
    payment = sent_payment(world)
    with run_on_commit(execute=True):
        settle(payment)
        assert settle(payment) == 0
        with transaction.atomic():
            assert receipts_issue([payment.pk]) == []  # even asked directly: it has one
    assert Receipt.objects.count() == 1
    assert len([m for m in mailbox() if m["Subject"].startswith("Receipt")]) == 1


def test_receipt_numbers_follow_on_per_biller(world, run_on_commit):
    first, second = sent_payment(world), sent_payment(world, world.invoice(number="INV-2"))
    settle(first)
    settle(second)
    other_biller, _ = make_biller("Beta Tools Inc.")
    other = ach_payment_rows(
        make_customer(other_biller, "Hooli"),
        [(make_invoice(make_customer(other_biller, "Hooli 2")), 5000)],
        pay_on=PAY_ON,
        status="sent",
    )
    settle(other)
    numbers = dict(Receipt.objects.values_list("payment_id", "number"))
    assert numbers == {first.pk: "R-000001", second.pk: "R-000002", other.pk: "R-000001"}


def test_a_rolled_back_settlement_gives_its_receipt_number_back(world):
    payment = sent_payment(world)
    with pytest.raises(RuntimeError), transaction.atomic():
        payments_settle([payment.pk], note="x")
        raise RuntimeError("crash after settling")
    settle(payment)
    assert Receipt.objects.get().number == "R-000001"


def test_an_auto_pay_receipt_goes_to_the_admins_and_a_private_account_is_named_only_to_its_owner(
    world, mailbox, run_on_commit
):
    owner_of_account = world.colleague("ops@globex.example")
    account = make_bank_account(owner_of_account, private=True, number="555566667", holder_name="Ops Private")
    payment = sent_payment(world, account=account, is_autopay=True)
    Payment.objects.filter(pk=payment.pk).update(created_by=None)
    with run_on_commit(execute=True):
        settle(payment)
    receipts = [m for m in mailbox() if m["Subject"].startswith("Receipt")]
    by_reader = {m["To"]: m for m in receipts}
    assert set(by_reader) == {"ap@globex.example", "ops@globex.example"}  # the admins, one copy per way of seeing
    theirs = pdf_text(attachments_of(by_reader["ap@globex.example"])["R-000001.pdf"])
    own = pdf_text(attachments_of(by_reader["ops@globex.example"])["R-000001.pdf"])
    assert "a private account of" in theirs and "6667" not in theirs and "Ops Private" not in theirs
    assert "Ops Private, Checking ••••6667" in own and "Auto Pay" in own
    assert "6667" not in parts(by_reader["ap@globex.example"])["text/plain"]


def test_a_payer_who_left_the_account_gets_nothing_and_the_admins_get_the_receipt(world, mailbox, run_on_commit):
    payment = sent_payment(world)
    Payment.objects.filter(pk=payment.pk).update(created_by=world.member)
    world.member.customer_membership.delete()
    with run_on_commit(execute=True):
        settle(payment)
    [message] = [m for m in mailbox() if m["Subject"].startswith("Receipt")]
    assert message["To"] == "ap@globex.example"


def test_money_the_biller_records_gets_a_receipt_at_once(world, mailbox, run_on_commit):
    invoice = world.invoice(amount_cents=10000, number="INV-9")
    with run_on_commit(execute=True):
        payment = payment_record_offline(
            invoice=invoice,
            actor=world.owner,
            amount_cents=4000,
            method="check",
            received_on=date(2026, 11, 20),
            reference="Check 1042",
        )
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.settled_on == date(2026, 11, 20)
    [message] = [m for m in mailbox() if m["Subject"].startswith("Receipt")]
    assert message["To"] == "ap@globex.example"  # the customer's admin, not the biller's person who typed it
    pdf = pdf_text(attachments_of(message)[f"{receipt.number}.pdf"])
    assert "Check · Check 1042" in pdf and "$40.00" in pdf and "INV-9" in pdf and "November 20, 2026" in pdf


def test_a_customer_without_portal_people_gets_the_recorded_payments_receipt_at_its_billing_address(
    mailbox, run_on_commit
):
    biller, owner = make_biller()
    customer = make_customer(biller, "Initech", email="billing@initech.example")
    with run_on_commit(execute=True):
        payment_record_offline(
            invoice=make_invoice(customer, amount_cents=5000),
            actor=owner,
            amount_cents=5000,
            method="wire",
            received_on=date(2026, 11, 20),
        )
    [message] = [m for m in mailbox() if m["Subject"].startswith("Receipt")]
    assert message["To"] == "billing@initech.example"


def test_a_return_after_the_receipt_withdraws_it_and_tells_the_payer_once(world, mailbox, run_on_commit):
    payment = sent_payment(world)
    with run_on_commit(execute=True):
        settle(payment)
        for _ in range(2):  # a second return file for the same payment finds it returned already
            with transaction.atomic():
                payments_return_many([Return(payment_id=payment.pk, code="R10", note="Returned: R10 Not authorized")])
    receipt = Receipt.objects.get()
    assert receipt.is_withdrawn and receipt.withdrawn_code == "R10"
    [notice] = [m for m in mailbox() if "withdrawn" in m["Subject"]]
    assert notice["Subject"] == (
        "Receipt R-000001 is withdrawn: your payment of $250.00 to Acme Supply Co. was returned"
    )
    text = parts(notice)["text/plain"]
    assert "R10" in text and "INV-1" in text and "don't use that receipt" in text


def test_a_return_before_settlement_withdraws_nothing(world, mailbox, run_on_commit):
    payment = sent_payment(world)
    with run_on_commit(execute=True), transaction.atomic():
        payments_return_many([Return(payment_id=payment.pk, code="R01", note="R01")])
    assert not Receipt.objects.exists()
    assert not [m for m in mailbox() if "Receipt" in m["Subject"]]


def queries_to_settle(world, count: int) -> int:
    payments = [sent_payment(world, world.invoice(number=f"Q{count}-{n}")) for n in range(count)]
    with CaptureQueriesContext(connection) as captured:
        assert settle(*payments) == count
    return len(captured)


def test_settling_many_payments_takes_as_many_queries_as_settling_a_few(world):
    few = queries_to_settle(world, 3)
    many = queries_to_settle(world, 30)
    assert Receipt.objects.count() == 33
    assert OutboundEmail.objects.filter(subject__startswith="Receipt").count() == 33
    assert many <= few + 2, (few, many)  # a fixed number of statements (the emails' INSERT per 100)


def test_receipts_returned_together_are_withdrawn_in_one_notice_per_account(world, mailbox, run_on_commit):
    first, second = sent_payment(world), sent_payment(world, world.invoice(amount_cents=5000, number="INV-2"))
    with run_on_commit(execute=True):
        settle(first, second)
        with transaction.atomic():
            payments_return_many(
                [Return(payment_id=p.pk, code="R01", note="R01 Insufficient funds") for p in (first, second)]
            )
    [notice] = [m for m in mailbox() if "withdrawn" in m["Subject"]]
    assert notice["Subject"] == "2 receipts from Acme Supply Co. are withdrawn: your payments ($300.00) were returned"
    text = parts(notice)["text/plain"]
    assert "R-000001" in text and "R-000002" in text and "INV-1" in text and "INV-2" in text
