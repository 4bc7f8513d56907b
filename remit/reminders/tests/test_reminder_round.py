"""The reminder round: once per invoice and step, in the biller's time zone, never for what is
already being paid, paused, paid or void; a partly covered invoice's reminder says what is scheduled
and what is left; a missed step is not sent in a burst."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from remit.autopay.models import AutoPay
from remit.invoices.actions import invoice_void
from remit.payments.actions import payment_record_offline
from remit.payments.models import CustomerPaymentSettings
from remit.reminders.engine import reminders_run
from remit.reminders.models import ReminderSent, ReminderStep
from remit.reminders.settings import reminders_pause, reminders_resume
from remit.test import make_bank_account, make_customer, make_invoice, make_world, parts, soonest_pay_on

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 3, 2)  # net 30: due April 1, 2026


def schedule(biller, *offsets):
    for offset in offsets:
        ReminderStep.objects.create(
            biller=biller, offset_days=offset, subject=f"Step {offset}", message=f"Message of step {offset}."
        )


@pytest.fixture
def world():
    return make_world()


def sent_for(invoice):
    return sorted(ReminderSent.objects.filter(invoice=invoice).values_list("offset_days", flat=True))


def test_each_step_goes_once_on_its_day(world, mailbox):
    schedule(world.biller, -7, 0, 3)
    invoice = world.invoice(issue_date=ISSUED)
    assert reminders_run(today=date(2026, 3, 24)).sent == []
    first = reminders_run(today=date(2026, 3, 25))
    assert [(s.invoice, s.offset_days) for s in first.sent] == [(invoice.number, -7)]
    assert reminders_run(today=date(2026, 3, 25)).sent == []  # a re-run sends nothing
    assert reminders_run(today=date(2026, 3, 31)).sent == []
    assert [s.offset_days for s in reminders_run(today=date(2026, 4, 1)).sent] == [0]
    assert [s.offset_days for s in reminders_run(today=date(2026, 4, 4)).sent] == [3]
    assert reminders_run(today=date(2026, 5, 4)).sent == []
    assert sent_for(invoice) == [-7, 0, 3]


def test_a_missed_step_is_not_sent_in_a_burst(world):
    schedule(world.biller, -7, 0, 3, 14)
    invoice = world.invoice(issue_date=ISSUED)
    report = reminders_run(today=date(2026, 4, 10))  # the worker was down from March 24 to April 10
    assert [s.offset_days for s in report.sent] == [3]
    assert sent_for(invoice) == [3]
    assert reminders_run(today=date(2026, 4, 11)).sent == []
    assert [s.offset_days for s in reminders_run(today=date(2026, 4, 15)).sent] == [14]


def test_a_step_before_the_invoice_was_issued_is_not_sent(world):
    schedule(world.biller, -14)
    world.invoice(issue_date=date(2026, 3, 25), terms="net_7")  # due April 1: the step's day was March 18
    assert reminders_run(today=date(2026, 3, 26)).sent == []


def test_the_email_has_the_message_the_amount_and_the_pay_link(world, mailbox, run_on_commit):
    schedule(world.biller, 3)
    invoice = world.invoice(issue_date=ISSUED, amount_cents=12_345)
    with run_on_commit(execute=True):
        reminders_run(today=date(2026, 4, 4))
    (message,) = mailbox()
    assert message["To"] == "ap@globex.example"
    assert message["Subject"] == f"Step 3 (invoice {invoice.number})"
    text = parts(message)["text/plain"]
    assert "Message of step 3." in text
    assert "$123.45" in text and "3 days overdue" in text
    assert "Pay Invoice Electronically" in text and "/pay/" in text
    assert "Pay Invoice Electronically" in parts(message)["text/html"]


def test_paid_void_and_fully_scheduled_invoices_get_none(world):
    schedule(world.biller, 0)
    paid = world.invoice(issue_date=ISSUED)
    payment_record_offline(
        invoice=paid,
        actor=world.owner,
        amount_cents=paid.total_cents,
        received_on=ISSUED,
        method="check",
        reference="1",
    )
    void = world.invoice(issue_date=ISSUED)
    invoice_void(invoice=void, actor=world.owner, reason="Sent in error")
    scheduled = world.invoice(issue_date=ISSUED)
    account = make_bank_account(world.admin)
    from remit.payments.actions import payment_schedule

    payment_schedule(
        payer=world.admin,
        invoice_ids=[scheduled.pk],
        bank_account_id=account.pk,
        pay_on=soonest_pay_on(world.biller),
        total_cents=scheduled.total_cents,
    )
    open_one = world.invoice(issue_date=ISSUED)
    report = reminders_run(today=date(2026, 4, 1))
    assert [s.invoice for s in report.sent] == [open_one.number]


def test_a_partly_scheduled_invoice_says_what_is_scheduled_and_what_is_left(world, mailbox, run_on_commit):
    schedule(world.biller, 0)
    invoice = world.invoice(issue_date=ISSUED, amount_cents=10_000)
    account = make_bank_account(world.admin)
    from remit.payments.actions import payment_schedule

    pay_on = soonest_pay_on(world.biller)
    payment_schedule(
        payer=world.admin, invoice_ids=[invoice.pk], bank_account_id=account.pk, pay_on=pay_on, total_cents=4_000
    )
    with run_on_commit(execute=True):
        (sent,) = reminders_run(today=date(2026, 4, 1)).sent
    assert (sent.scheduled_cents, sent.left_cents) == (4_000, 6_000)
    text = parts(mailbox()[0])["text/plain"]
    assert f"$40.00 on {pay_on:%B} {pay_on.day}, {pay_on.year}" in text
    assert "Left to pay:   $60.00" in text


def test_auto_pay_covering_the_invoice_means_no_reminder(world):
    schedule(world.biller, 0)
    account = make_bank_account(world.admin)
    AutoPay.objects.create(
        customer=world.customer,
        enabled=True,
        max_cents=1_000_000,
        bank_account=account,
        updated_by=world.admin,
        version=1,
    )
    invoice = world.invoice(issue_date=ISSUED)  # Auto Pay claims it at once (the invoices_changed hook)
    invoice.refresh_from_db()
    assert invoice.available_cents == 0
    assert reminders_run(today=date(2026, 4, 1)).sent == []


def test_auto_pay_on_but_not_yet_claimed_waits_for_the_sweep(world):
    schedule(world.biller, 0)
    invoice = world.invoice(issue_date=ISSUED)
    account = make_bank_account(world.admin)
    # Turned on without running the engine: the next sweep will claim the invoice.
    AutoPay.objects.create(
        customer=world.customer,
        enabled=True,
        max_cents=1_000_000,
        bank_account=account,
        updated_by=world.admin,
        version=1,
    )
    assert reminders_run(today=date(2026, 4, 1)).sent == []
    # The biller's controls don't let this customer use Auto Pay: it won't pay, so the reminder goes.
    CustomerPaymentSettings.objects.create(customer=world.customer, allow_autopay="off")
    assert [s.invoice for s in reminders_run(today=date(2026, 4, 1)).sent] == [invoice.number]


def test_paused_customer_or_invoice_gets_none_until_lifted(world):
    schedule(world.biller, 0)
    first = world.invoice(issue_date=ISSUED)
    second = world.invoice(issue_date=ISSUED)
    pause = reminders_pause(actor=world.owner, reason="Disputed", customer=world.customer)
    assert reminders_run(today=date(2026, 4, 1)).sent == []
    reminders_resume(pause=pause, actor=world.owner)
    reminders_pause(actor=world.owner, reason="Credit note coming", invoice=first)
    assert [s.invoice for s in reminders_run(today=date(2026, 4, 1)).sent] == [second.number]


def test_steps_follow_the_billers_time_zone(world):
    """11 pm on March 31 in Los Angeles is already April 1 in UTC: the due-date reminder waits."""
    world.biller.time_zone = "America/Los_Angeles"
    world.biller.save(update_fields=["time_zone"])
    schedule(world.biller, 0)
    world.invoice(issue_date=ISSUED)
    evening = datetime(2026, 3, 31, 23, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    with time_machine.travel(evening, tick=False):
        assert reminders_run().sent == []
    with time_machine.travel(evening + timedelta(hours=1, minutes=1), tick=False):
        assert len(reminders_run().sent) == 1


def test_a_customer_without_billing_email_is_skipped_and_the_step_stays_due(world):
    schedule(world.biller, 0)
    world.invoice(issue_date=ISSUED)
    world.customer.billing_emails = []
    world.customer.save(update_fields=["billing_emails"])
    assert reminders_run(today=date(2026, 4, 1)).sent == []
    assert ReminderSent.objects.count() == 0


def test_the_round_makes_as_many_queries_for_40_invoices_as_for_4(world):
    """No query per invoice: the queries of a round depend on the steps and batches, not the invoices."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    schedule(world.biller, 0, 3)
    other = make_customer(world.biller, "Initrode", email="ap@initrode.example")
    counts = []
    for many, due_day in ((4, date(2026, 4, 1)), (40, date(2026, 4, 2))):
        for n in range(many):
            make_invoice(world.customer if n % 2 else other, issue_date=due_day - timedelta(days=30))
        with CaptureQueriesContext(connection) as queries:
            report = reminders_run(today=due_day)
        assert len(report.sent) == many
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_crash_in_the_middle_of_a_batch_keeps_nothing_and_the_next_round_sends_all(world, monkeypatch):
    from remit.notifications.models import OutboundEmail
    from remit.reminders import engine

    schedule(world.biller, 0)
    for _ in range(3):
        world.invoice(issue_date=ISSUED)
    real = engine.email_send_optional
    calls = []

    def crash_on_the_third(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the worker died")
        return real(**kwargs)

    monkeypatch.setattr(engine, "email_send_optional", crash_on_the_third)
    emails = OutboundEmail.objects.count()  # the portal invitations of the set-up
    with pytest.raises(RuntimeError):
        reminders_run(today=date(2026, 4, 1))
    assert not ReminderSent.objects.exists() and OutboundEmail.objects.count() == emails
    monkeypatch.setattr(engine, "email_send_optional", real)
    assert len(reminders_run(today=date(2026, 4, 1)).sent) == 3
    assert OutboundEmail.objects.count() == emails + 3
