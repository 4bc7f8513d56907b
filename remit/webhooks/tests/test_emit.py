"""Each of the eight event types is recorded by the real action that causes it, in that action's
transaction, for the endpoints of that biller that asked for it — and costs one query when nobody
listens."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.returns import ach_import_returns
from remit.ach.settle import ach_settle
from remit.ach.stored import file_text
from remit.autopay.settings import autopay_save
from remit.invoices.importer import import_invoices
from remit.invoices.models import Invoice
from remit.lib.banking_days import add_banking_days
from remit.payments.actions import payment_record_offline
from remit.payments.models import Payment
from remit.test import make_biller, make_customer, make_invoice
from remit.webhooks.emit import Listeners, webhooks_emit
from remit.webhooks.endpoints import webhook_endpoint_create, webhook_endpoint_set_active
from remit.webhooks.models import EventType, WebhookDelivery, WebhookEvent
from remit.webhooks.tests.world import ACCOUNT_NUMBER, World, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(receiver):
    return make_world(receiver.url)


def events(type: str) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(type=type).order_by("pk"))


def only(type: str) -> dict:
    [event] = events(type)
    return event.payload


def export(world: World, run_on_commit, pay_on: date):
    with run_on_commit(execute=True):
        result = ach_export(biller=world.acme, effective_date=pay_on)
    assert result.file is not None
    return result.file


# --- invoice.created -----------------------------------------------------------------------------


def test_invoice_created_by_invoice_create_carries_the_invoice(world):
    invoice = make_invoice(world.customer, amount_cents=12345, number="INV-7")
    event = WebhookEvent.objects.get(type=EventType.INVOICE_CREATED)
    assert event.biller_id == world.acme.pk
    payload = event.payload
    assert payload["object"] == "invoice" and payload["id"] == invoice.pk and payload["number"] == "INV-7"
    assert (payload["customer"], payload["customer_name"]) == (world.customer.pk, "Globex Corporation")
    assert (payload["total_cents"], payload["paid_cents"], payload["available_cents"]) == (12345, 0, 12345)
    assert payload["issue_date"] == invoice.issue_date.isoformat() and payload["status"] == "open"
    assert payload["lines"] == [
        {"position": 1, "description": "Widgets", "quantity": "1.000", "unit_price_cents": 12345, "amount_cents": 12345}
    ]
    assert payload["created_at"].endswith("Z")
    assert WebhookDelivery.objects.get().endpoint == world.endpoint


def test_invoice_created_once_per_invoice_of_a_csv_import(world):
    data = (
        b"Invoice number,Customer,Issue date,Terms,Description,Quantity,Unit price\n"
        b"A-1,Globex Corporation,2026-01-15,Net 30,Widgets,3,19.99\n"
        b"A-1,Globex Corporation,2026-01-15,Net 30,Bolts,1,5\n"
        b"A-2,Globex Corporation,2026-01-16,Net 30,Nuts,2,10\n"
    )
    result = import_invoices(biller=world.acme, actor=world.owner, file=data)
    assert result.ok, result.problems
    assert sorted(p["number"] for p in (e.payload for e in events(EventType.INVOICE_CREATED))) == ["A-1", "A-2"]
    assert [len(e.payload["lines"]) for e in events(EventType.INVOICE_CREATED)] == [2, 1]
    assert WebhookDelivery.objects.count() == 2


# --- payments: scheduled, sent, settled (and invoice.paid), returned -------------------------------


def test_payment_scheduled_by_the_portal_action_shows_the_account_masked_only(world):
    invoices = [make_invoice(world.customer, amount_cents=10000), make_invoice(world.customer, amount_cents=2500)]
    payment = world.pay(invoices)
    [event] = events(EventType.PAYMENT_SCHEDULED)
    payload = event.payload
    assert payload["object"] == "payment" and payload["id"] == payment.pk and payload["status"] == "scheduled"
    assert (payload["amount_cents"], payload["method"], payload["is_autopay"]) == (12500, "ach", False)
    assert payload["bank_account"] == {
        "id": world.account.pk,
        "account_type": "checking",
        "masked_number": "••••6789",
        "status": "active",
    }
    assert payload["pay_on"] == payment.pay_on.isoformat()
    assert [(a["invoice"], a["amount_cents"]) for a in payload["allocations"]] == [
        (invoices[0].pk, 10000),
        (invoices[1].pk, 2500),
    ]
    text = json.dumps([e.payload for e in WebhookEvent.objects.all()])
    assert ACCOUNT_NUMBER not in text and world.account.routing_number not in text


def test_payment_sent_by_the_ach_export(world, run_on_commit):
    payment = world.pay([make_invoice(world.customer, amount_cents=25000)])
    export(world, run_on_commit, payment.pay_on)
    payload = only(EventType.PAYMENT_SENT)
    assert (payload["id"], payload["status"], payload["amount_cents"]) == (payment.pk, "sent", 25000)
    payment.refresh_from_db()
    assert payload["ach_entry"]["trace_number"] == payment.ach_entry.trace_number
    assert [(h["from_status"], h["to_status"]) for h in payload["history"]] == [
        (None, "scheduled"),
        ("scheduled", "sent"),
    ]


def test_payment_settled_and_invoice_paid_by_settlement(world, run_on_commit):
    invoice = make_invoice(world.customer, amount_cents=25000)
    payment = world.pay([invoice])
    export(world, run_on_commit, payment.pay_on)
    assert not events(EventType.INVOICE_PAID)
    assert ach_settle(today=add_banking_days(payment.pay_on, 2)) == 1
    assert (only(EventType.PAYMENT_SETTLED)["id"], only(EventType.PAYMENT_SETTLED)["status"]) == (payment.pk, "settled")
    paid = only(EventType.INVOICE_PAID)
    assert (paid["id"], paid["status"], paid["paid_cents"], paid["balance_cents"]) == (invoice.pk, "paid", 25000, 0)
    ach_settle(today=add_banking_days(payment.pay_on, 5))
    assert len(events(EventType.INVOICE_PAID)) == 1  # once


def test_settling_part_of_an_invoice_is_not_invoice_paid(world, run_on_commit):
    invoice = make_invoice(world.customer, amount_cents=25000)
    payment = world.pay([invoice], total_cents=10000)
    export(world, run_on_commit, payment.pay_on)
    ach_settle(today=add_banking_days(payment.pay_on, 2))
    assert len(events(EventType.PAYMENT_SETTLED)) == 1
    assert not events(EventType.INVOICE_PAID)


def test_payment_returned_by_a_return_file_with_its_code(world, run_on_commit):
    invoice = make_invoice(world.customer, amount_cents=25000)
    payment = world.pay([invoice])
    record = export(world, run_on_commit, payment.pay_on)
    payment.refresh_from_db()
    text = returns_for(
        file_text(record),
        today=timezone.localdate(),
        returns={payment.ach_entry.trace_number: "R01"},
    )
    ach_import_returns(text=text, filename="returns.ach", biller=world.acme)
    payload = only(EventType.PAYMENT_RETURNED)
    assert (payload["id"], payload["status"]) == (payment.pk, "returned")
    assert payload["return"]["code"] == "R01" and "Insufficient funds" in payload["return"]["note"]


def test_a_payment_recorded_in_full_is_settled_and_pays_the_invoice(world):
    invoice = make_invoice(world.customer, amount_cents=25000)
    payment_record_offline(
        invoice=invoice, actor=world.owner, amount_cents=10000, method="check", received_on=timezone.localdate()
    )
    assert len(events(EventType.PAYMENT_SETTLED)) == 1 and not events(EventType.INVOICE_PAID)
    payment = payment_record_offline(
        invoice=invoice, actor=world.owner, amount_cents=15000, method="wire", received_on=timezone.localdate()
    )
    settled = events(EventType.PAYMENT_SETTLED)[-1].payload
    assert (settled["id"], settled["method"], settled["bank_account"]) == (payment.pk, "wire", None)
    assert only(EventType.INVOICE_PAID)["paid_cents"] == 25000


# --- Auto Pay ------------------------------------------------------------------------------------


def test_auto_pay_emits_payment_scheduled_autopay_scheduled_and_limit_exceeded(world):
    small = make_invoice(world.customer, amount_cents=5000)
    big = make_invoice(world.customer, amount_cents=30000)
    autopay_save(
        customer=world.customer, actor=world.payer, enabled=True, max_cents=20000,
        bank_account_id=world.account.pk, days=0, when="before",
    )  # fmt: skip
    payments = {p.allocations.get().invoice_id: p for p in Payment.objects.filter(is_autopay=True)}
    assert sorted(e.payload["id"] for e in events(EventType.PAYMENT_SCHEDULED)) == sorted(
        p.pk for p in payments.values()
    )
    scheduled = {e.payload["autopay"]["invoice_id"]: e.payload for e in events(EventType.AUTOPAY_PAYMENT_SCHEDULED)}
    assert scheduled[small.pk]["autopay"] == {"invoice_id": small.pk, "maximum_cents": 20000, "left_to_pay_cents": 0}
    assert scheduled[big.pk]["amount_cents"] == 20000 and scheduled[big.pk]["is_autopay"] is True
    limited = only(EventType.AUTOPAY_LIMIT_EXCEEDED)
    assert limited["id"] == payments[big.pk].pk
    assert limited["autopay"] == {"invoice_id": big.pk, "maximum_cents": 20000, "left_to_pay_cents": 10000}


# --- Who hears, and when ---------------------------------------------------------------------------


def test_a_rolled_back_change_emits_nothing_and_sends_nothing(world, receiver, run_on_commit):
    with run_on_commit(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        make_invoice(world.customer)
        assert WebhookEvent.objects.count() == 1  # written in the change's own transaction…
        raise RuntimeError("the change fails after the invoice was created")
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()  # …and gone with it
    assert not Invoice.objects.exists()
    assert receiver.received == []


@pytest.mark.django_db(transaction=True)
def test_emitting_outside_a_transaction_is_refused(receiver):
    world = make_world(receiver.url)
    invoice = make_invoice(world.customer)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        webhooks_emit(type=EventType.INVOICE_CREATED, ids=[invoice.pk], biller_id=world.acme.pk)
    assert WebhookEvent.objects.count() == 1  # invoice_create's own, in its transaction


def test_an_endpoint_gets_only_the_events_it_asked_for_and_only_its_billers(receiver):
    world = make_world(receiver.url, events=[EventType.INVOICE_PAID])
    other, other_owner = make_biller("Other Co")
    webhook_endpoint_create(biller=other, actor=other_owner, url=receiver.url, events=EventType.values)
    make_invoice(world.customer)
    assert not WebhookEvent.objects.exists()
    make_invoice(make_customer(other, "Initech"))
    assert WebhookEvent.objects.get().biller == other


def test_a_disabled_endpoint_gets_nothing(world):
    webhook_endpoint_set_active(endpoint=world.endpoint, actor=world.owner, active=False)
    make_invoice(world.customer)
    assert not WebhookEvent.objects.exists()


def test_two_endpoints_share_one_event(world, receiver):
    second = webhook_endpoint_create(
        biller=world.acme, actor=world.owner, url=receiver.url + "/2", events=[EventType.INVOICE_CREATED]
    )
    make_invoice(world.customer)
    event = WebhookEvent.objects.get()
    assert {d.endpoint_id for d in event.deliveries.all()} == {world.endpoint.pk, second.endpoint.pk}


def test_without_endpoints_emitting_costs_one_query(django_assert_num_queries):
    acme, _ = make_biller("Acme Supply Co.")
    invoices = [make_invoice(make_customer(acme)) for _ in range(3)]
    ids = [invoice.pk for invoice in invoices]
    with django_assert_num_queries(1):
        webhooks_emit(type=EventType.INVOICE_CREATED, ids=ids, biller_id=acme.pk)
    with django_assert_num_queries(1):  # the billers found by a subquery, no row loaded
        webhooks_emit(type=EventType.INVOICE_PAID, ids=ids)
    with django_assert_num_queries(0):
        webhooks_emit(type=EventType.INVOICE_PAID, ids=ids, listeners=Listeners())
    assert not WebhookEvent.objects.exists()


# --- credit.created, credit.applied -----------------------------------------------------------------


def test_a_credit_against_an_invoice_emits_created_applied_and_paid(world):
    from remit.payments.credits import credit_issue

    invoice = make_invoice(world.customer, amount_cents=5000, number="INV-9")
    credit = credit_issue(
        biller=world.acme, customer=world.customer, amount_cents=5000, reason="Goodwill", invoice=invoice, actor=None
    )
    created = only(EventType.CREDIT_CREATED)
    assert (created["object"], created["number"], created["amount_cents"]) == ("credit", credit.number, 5000)
    applied = only(EventType.CREDIT_APPLIED)
    assert (applied["invoice_number"], applied["amount_cents"], applied["applied_by"]) == ("INV-9", 5000, "biller")
    assert applied["credit"]["unapplied_cents"] == 0
    paid = only(EventType.INVOICE_PAID)
    assert (paid["credited_cents"], paid["status"], paid["balance_cents"]) == (5000, "paid", 0)


def test_an_overpayment_emits_credit_created_and_no_credit_applied(world):
    invoice = make_invoice(world.customer, amount_cents=5000)
    payment_record_offline(
        invoice=invoice, actor=None, amount_cents=6000, method="check", received_on=date(2026, 11, 20)
    )
    created = only(EventType.CREDIT_CREATED)
    assert (created["source"], created["amount_cents"], created["unapplied_cents"]) == ("overpayment", 1000, 1000)
    assert not events(EventType.CREDIT_APPLIED)
