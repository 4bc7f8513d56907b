"""Holding a payment for review, and deciding: approve lets it go, reject cancels it and tells the
customer why; only the biller's team decides, with a reason, once."""

from __future__ import annotations

import pytest
from django.db import transaction

from remit.lib.errors import NotPermitted
from remit.payments.actions import payment_schedule
from remit.payments.holds import HoldError, held_payments, payment_hold_decide, payment_hold_place
from remit.payments.models import PaymentEvent, PaymentHold, PaymentStatus
from remit.test import make_biller, make_staff, parts, soonest_pay_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(world):
    account = world.bank_account(number="123456789")
    invoice = world.invoice(amount_cents=25000)
    payment = payment_schedule(
        payer=world.admin,
        invoice_ids=[invoice.pk],
        bank_account_id=account.pk,
        pay_on=soonest_pay_on(world.biller),
        total_cents=25000,
    )
    with transaction.atomic():
        return payment_hold_place(payment=payment, rule_code="test_rule", reason="A first debit above $100.00")


def test_a_held_payment_is_in_the_review_queue_of_its_biller_only(world, held):
    assert list(held_payments(world.biller)) == [held]
    other, _ = make_biller("Other Co")
    assert not held_payments(other).exists()
    assert PaymentEvent.objects.filter(payment=held.payment, note="Held for review")


def test_approving_records_who_when_and_why_and_leaves_the_queue(world, held):
    staff = make_staff(world.biller)
    payment_hold_decide(hold=held, actor=staff, decision="approved", reason="Known customer, called them")
    held.refresh_from_db()
    assert (held.decision, held.decided_by, held.decided_by_email) == ("approved", staff, staff.email)
    assert held.decided_at is not None and held.decision_reason == "Known customer, called them"
    assert not held_payments(world.biller).exists()
    held.payment.refresh_from_db()
    assert held.payment.status == PaymentStatus.SCHEDULED
    assert PaymentEvent.objects.filter(payment=held.payment, note="Approved in review")


def test_rejecting_cancels_the_payment_reopens_its_invoice_and_emails_the_customer(world, held, run_on_commit, mailbox):
    with run_on_commit(execute=True):
        payment_hold_decide(hold=held, actor=world.owner, decision="rejected", reason="The account looks wrong")
    payment = held.payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    invoice = payment.allocations.get().invoice
    assert invoice.available_cents == 25000
    [told] = [m for m in mailbox() if "was not accepted" in m["Subject"]]
    assert told["To"] == "ap@globex.example"
    text = parts(told)["text/plain"]
    assert "The account looks wrong" in text and "$250.00" in text and "123456789" not in told.as_string()


def test_a_decision_needs_a_reason_a_team_member_and_is_taken_once(world, held):
    with pytest.raises(HoldError, match="Give a reason"):
        payment_hold_decide(hold=held, actor=world.owner, decision="approved", reason="  ")
    with pytest.raises(HoldError, match="Choose Approve or Reject"):
        payment_hold_decide(hold=held, actor=world.owner, decision="maybe", reason="x")
    with pytest.raises(NotPermitted):
        payment_hold_decide(hold=held, actor=world.admin, decision="approved", reason="I am the customer")
    _, stranger = make_biller("Other Co")
    with pytest.raises(NotPermitted):
        payment_hold_decide(hold=held, actor=stranger, decision="approved", reason="Not my biller")
    held.refresh_from_db()
    assert held.decided_at is None
    payment_hold_decide(hold=held, actor=world.owner, decision="approved", reason="Fine")
    with pytest.raises(HoldError, match="already approved"):
        payment_hold_decide(
            hold=PaymentHold.objects.get(pk=held.pk), actor=world.owner, decision="rejected", reason="x"
        )
    held.payment.refresh_from_db()
    assert held.payment.status == PaymentStatus.SCHEDULED


def test_held_approved_and_rejected_are_webhook_events_with_the_hold(world):
    from remit.webhooks.endpoints import webhook_endpoint_create
    from remit.webhooks.models import WebhookEvent

    webhook_endpoint_create(
        biller=world.biller,
        actor=world.owner,
        url="https://hooks.example.com/remit",
        events=["payment.held", "payment.approved", "payment.rejected"],
    )
    account = world.bank_account()
    holds = []
    for cents in (1000, 2000):
        invoice = world.invoice(amount_cents=cents)
        payment = payment_schedule(
            payer=world.admin,
            invoice_ids=[invoice.pk],
            bank_account_id=account.pk,
            pay_on=soonest_pay_on(world.biller),
            total_cents=cents,
        )
        with transaction.atomic():
            holds.append(payment_hold_place(payment=payment, rule_code="test_rule", reason="Why"))
    payment_hold_decide(hold=holds[0], actor=world.owner, decision="approved", reason="Fine")
    payment_hold_decide(hold=holds[1], actor=world.owner, decision="rejected", reason="Not fine")
    events = {(e.type, e.payload["id"]): e.payload for e in WebhookEvent.objects.all()}
    assert set(events) == {
        ("payment.held", holds[0].payment_id),
        ("payment.held", holds[1].payment_id),
        ("payment.approved", holds[0].payment_id),
        ("payment.rejected", holds[1].payment_id),
    }
    rejected = events[("payment.rejected", holds[1].payment_id)]
    assert rejected["status"] == "cancelled"
    assert rejected["hold"]["decision"] == "rejected" and rejected["hold"]["decision_reason"] == "Not fine"
    assert events[("payment.held", holds[0].payment_id)]["hold"]["rule_code"] == "test_rule"
