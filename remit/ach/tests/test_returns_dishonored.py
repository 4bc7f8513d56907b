"""Dishonored returns (R61, R67–R70) restore the payment: settled again with an event row, its invoice
paid again, what the customer scheduled for it since given back, the customer and the biller told —
unless the invoice was paid another way or voided since, which is said instead. What the return
blocked stays blocked. Contested dishonored returns (R71–R77) make the return stand."""

from __future__ import annotations

import email
import email.policy
import uuid

import pytest
from django.utils import timezone

from remit.ach.bank_sim import returns_for
from remit.ach.models import AchDishonor, AchReturn
from remit.ach.returns import ach_import_returns
from remit.ach.tests.corpus import CORPUS, TODAY, TRACES, build_world, crlf
from remit.autopay.models import AutoPay
from remit.autopay.settings import autopay_save
from remit.invoices.actions import invoice_void
from remit.notifications.models import OutboundEmail
from remit.payments.actions import payment_record_offline, payment_schedule
from remit.payments.models import BankAccountStatus, Payment, PaymentEvent, PaymentStatus, Receipt
from remit.test import make_invoice, parts, soonest_pay_on
from remit.webhooks.models import EventType, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(run_on_commit):
    return build_world(run_on_commit)


def load(world, name, text=None):
    return ach_import_returns(text=text or (CORPUS / name).read_text(), filename=name, biller=world.acme)


def emails_after(after):
    rows = OutboundEmail.objects.filter(pk__gt=after).order_by("pk")
    return [email.message_from_bytes(bytes(row.raw), policy=email.policy.default) for row in rows]


def notices_after(after):
    """The emails after ``after`` but the receipts (``test_receipts_after_a_dishonor`` reads those)."""
    return [m for m in emails_after(after) if not m["Subject"].startswith("Receipt R-")]


def last_email_id():
    return OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def fresh(obj):
    obj.refresh_from_db()
    return obj


def test_a_dishonored_return_restores_the_payment_and_closes_the_invoice_again(world):
    WebhookEndpoint.objects.create(
        biller=world.acme, url="https://hooks.example/remit", secret_encrypted="x",
        events=[EventType.PAYMENT_SETTLED, EventType.INVOICE_PAID],
    )  # fmt: skip
    payment, invoice = world.payments["P1"], world.invoices["INV-1"]
    load(world, "r01-plain.ach")
    assert (fresh(invoice).paid_cents, invoice.pending_cents, invoice.status) == (0, 0, "open")
    before = last_email_id()

    result = load(world, "dishonored-r68.ach")

    assert (result.dishonored, result.restored, result.returned) == (1, 1, 0)
    assert fresh(payment).status == PaymentStatus.SETTLED
    event = PaymentEvent.objects.filter(payment=payment).order_by("pk").reverse()[0]
    assert (event.from_status, event.to_status) == (PaymentStatus.RETURNED, PaymentStatus.SETTLED)
    assert "R01" in event.note and "R68" in event.note and "123456789" not in event.note
    assert (fresh(invoice).paid_cents, invoice.pending_cents, invoice.status) == (25000, 0, "paid")
    record = AchDishonor.objects.get()
    assert (record.kind, record.code, record.return_code, record.outcome) == ("dishonored", "R68", "R01", "restored")
    assert record.meaning == "Untimely return"
    # Told: the customer (their admin) and the biller's owners, in the import's transaction.
    customer_mail, biller_mail = notices_after(before)
    assert customer_mail["To"] == "ap@globex.example"
    text = parts(customer_mail)["text/plain"]
    assert "went through after all" in text and "INV-1" in text and "R68" in text and "123456789" not in text
    assert biller_mail["To"] == world.owner.email
    assert "The payment stands: settled again" in parts(biller_mail)["text/plain"]
    # Webhooks: the payment is settled (with the dishonor), the invoice paid.
    settled = WebhookEvent.objects.get(type=EventType.PAYMENT_SETTLED)
    assert settled.payload["dishonored_return"] == {"code": "R68", "return_code": "R01"}
    assert WebhookEvent.objects.filter(type=EventType.INVOICE_PAID).count() == 1


def test_the_same_dishonor_framed_otherwise_or_in_another_file_acts_once(world):
    load(world, "r01-plain.ach")
    load(world, "dishonored-r68.ach")
    again = load(world, "dishonored-crlf.ach", crlf((CORPUS / "dishonored-r68.ach").read_text()))
    assert again.already_imported
    other = (
        (CORPUS / "dishonored-r68.ach")
        .read_text()
        .replace("ACME SUPPLY CO         FIRST", "ACME SUPPLY CO.        FIRST")
    )
    assert load(world, "dishonored-other-file.ach", other).unchanged == 1
    assert AchDishonor.objects.count() == 1 and fresh(world.payments["P1"]).status == PaymentStatus.SETTLED


def test_what_the_customer_scheduled_after_the_return_gives_way(world):
    payment, invoice = world.payments["P1"], world.invoices["INV-1"]
    load(world, "r01-plain.ach")
    admin = payment.created_by
    other = make_invoice(invoice.customer, amount_cents=3000, number="INV-9")
    again = payment_schedule(
        payer=admin, invoice_ids=[invoice.pk, other.pk], bank_account_id=payment.bank_account_id,
        pay_on=soonest_pay_on(world.acme), total_cents=28000, idempotency_key=uuid.uuid4().hex,
    )  # fmt: skip
    before = last_email_id()

    load(world, "dishonored-r68.ach")

    assert fresh(payment).status == PaymentStatus.SETTLED
    again = fresh(again)
    assert (again.status, again.amount_cents) == (PaymentStatus.SCHEDULED, 3000)  # only INV-9 is left to pay
    assert list(again.allocations.values_list("invoice__number", flat=True)) == ["INV-9"]
    assert (fresh(invoice).paid_cents, invoice.pending_cents) == (25000, 0)
    text = parts(notices_after(before)[0])["text/plain"]
    assert "was reduced to $30.00: these invoices don't need it any more" in text
    assert "1 scheduled payment(s) for the same invoices gave up their part" in AchDishonor.objects.get().summary


def test_a_payment_scheduled_only_for_the_invoice_is_cancelled(world):
    payment, invoice = world.payments["P1"], world.invoices["INV-1"]
    load(world, "r01-plain.ach")
    again = payment_schedule(
        payer=payment.created_by, invoice_ids=[invoice.pk], bank_account_id=payment.bank_account_id,
        pay_on=soonest_pay_on(world.acme), total_cents=25000, idempotency_key=uuid.uuid4().hex,
    )  # fmt: skip
    before = last_email_id()
    load(world, "dishonored-r61.ach")
    assert fresh(again).status == PaymentStatus.CANCELLED
    assert "Invoice INV-1 is paid" in again.events.order_by("-pk")[0].note
    assert "$250.00 scheduled for" in parts(notices_after(before)[0])["text/plain"]


def test_an_invoice_paid_another_way_since_keeps_the_payment_returned_and_says_so(world):
    payment, invoice = world.payments["P1"], world.invoices["INV-1"]
    load(world, "r01-plain.ach")
    payment_record_offline(
        invoice=invoice, actor=world.owner, amount_cents=25000, method="check", received_on=timezone.localdate()
    )
    before = last_email_id()

    result = load(world, "dishonored-r69.ach")

    assert (result.dishonored, result.restored) == (1, 0)
    assert fresh(payment).status == PaymentStatus.RETURNED
    assert (fresh(invoice).paid_cents, invoice.pending_cents) == (25000, 0)  # never more than its total
    record = AchDishonor.objects.get()
    assert record.outcome == "not_restored"
    assert record.summary.startswith("Not restored: Invoice INV-1 was paid again after the return ($250.00 paid")
    assert "refund one of the payments" in record.summary
    [biller_mail] = emails_after(before)  # the biller only: nothing changed for the customer
    assert biller_mail["To"] == world.owner.email and "refund one of the payments" in parts(biller_mail)["text/plain"]


def test_an_invoice_voided_since_keeps_the_payment_returned(world):
    payment, invoice = world.payments["P1"], world.invoices["INV-1"]
    load(world, "r01-plain.ach")
    invoice_void(invoice=invoice, actor=world.owner, reason="Billed in error")
    load(world, "dishonored-r70.ach")
    assert fresh(payment).status == PaymentStatus.RETURNED
    assert AchDishonor.objects.get().summary == "Not restored: Invoice INV-1 was voided after the return."


def test_the_account_a_return_blocked_stays_blocked_and_auto_pay_stays_off(world):
    payment = world.payments["P1"]
    account = payment.bank_account
    autopay_save(
        customer=payment.customer, actor=payment.created_by, enabled=True, max_cents=100000,
        bank_account_id=account.pk, days=0, when="before",
    )  # fmt: skip
    r02 = returns_for(world.outbound, returns={TRACES["P1"]: "R02"}, today=TODAY)
    load(world, "r02.ach", r02)
    assert fresh(account).status == BankAccountStatus.BLOCKED and not AutoPay.objects.get().enabled
    before = last_email_id()

    load(world, "dishonored-r68.ach")  # it names the return R01, but its trace is the R02's: the trace decides

    assert fresh(payment).status == PaymentStatus.SETTLED
    assert fresh(account).status == BankAccountStatus.BLOCKED and not AutoPay.objects.get().enabled
    text = parts(notices_after(before)[0])["text/plain"]
    assert "stays blocked, as your bank's return said it can't be debited" in text


def test_a_dishonor_of_another_return_than_the_one_recorded_changes_nothing(world):
    load(world, "r01-plain.ach")
    other = (
        (CORPUS / "dishonored-r67.ach").read_text().replace("01100001   011000010000001", "01100001   011000010000777")
    )
    load(world, "dishonored-r67-other.ach", other)
    assert fresh(world.payments["P1"]).status == PaymentStatus.RETURNED
    record = AchDishonor.objects.get()
    assert record.outcome == "unchanged" and "trace 011000010000777" in record.summary


def test_a_contested_dishonor_returns_the_restored_payment_again(world):
    payment, invoice = world.payments["P1"], world.invoices["INV-1"]
    load(world, "r01-plain.ach")
    load(world, "dishonored-r68.ach")
    before = last_email_id()
    load(world, "contested-r72.ach")
    assert fresh(payment).status == PaymentStatus.RETURNED
    assert (fresh(invoice).paid_cents, invoice.status) == (0, "open")
    assert [e.to_status for e in PaymentEvent.objects.filter(payment=payment).order_by("pk")][-3:] == [
        PaymentStatus.RETURNED,
        PaymentStatus.SETTLED,
        PaymentStatus.RETURNED,
    ]
    assert AchReturn.objects.count() == 1  # the one return, standing
    subjects = [m["Subject"] for m in emails_after(before)]
    assert "Your payment of $250.00 to Acme Supply Co. was returned by your bank" in subjects


def test_a_returned_payment_may_become_settled_but_nothing_else():
    assert Payment.TRANSITIONS[PaymentStatus.RETURNED] == {PaymentStatus.SETTLED}


def test_receipts_after_a_dishonor(world):
    """A payment returned before it settled had no receipt: restored, it is settled after all and its
    payer gets the receipt. A contested return after that withdraws it again (see the corpus)."""
    payment = world.payments["P1"]
    load(world, "r01-plain.ach")
    assert not Receipt.objects.exists()
    before = last_email_id()
    load(world, "dishonored-r68.ach")
    receipt = Receipt.objects.get(payment=payment)
    assert not receipt.is_withdrawn
    [mail] = [m for m in emails_after(before) if m["Subject"].startswith("Receipt R-")]
    assert mail["To"] == "ap@globex.example"
    load(world, "contested-r72.ach")
    assert fresh(receipt).is_withdrawn and receipt.withdrawn_code == "R01"  # the return stands
