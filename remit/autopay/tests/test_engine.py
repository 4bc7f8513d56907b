"""The Auto Pay engine: what it schedules, how much, when, and that it never does anything twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from remit.autopay.engine import autopay_run, autopay_skip
from remit.autopay.models import AutoPay, AutoPayClaim
from remit.autopay.notices import autopay_send_notices
from remit.autopay.rules import autopay_pay_on
from remit.autopay.settings import autopay_save
from remit.customers.models import Customer
from remit.invoices.actions import InvoiceDraft, invoice_update, invoice_void
from remit.invoices.importer import import_invoices
from remit.invoices.models import Invoice
from remit.invoices.totals import Line
from remit.payments.actions import PaymentError, payment_record_offline, payment_schedule
from remit.payments.models import BankAccount, Payment, PaymentStatus
from remit.test import make_bank_account, make_invoice, parts, soonest_pay_on
from remit.users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(world):
    """Globex's shared checking account, added by its admin: the one Auto Pay pays from."""
    return world.bank_account(number="123456789")


def turn_on(world, account, *, max_cents=500000, days=2, when="before"):
    return autopay_save(
        customer=world.customer,
        actor=world.admin,
        enabled=True,
        max_cents=max_cents,
        bank_account_id=account.pk,
        days=days,
        when=when,
    )


def expected_pay_on(world, invoice):
    acme = world.biller
    now_local = datetime.now(ZoneInfo(acme.time_zone))
    return autopay_pay_on(invoice.due_date, -2, now_local=now_local, cutoff=acme.ach_cutoff_time)


def autopay_payments(customer):
    return Payment.objects.filter(customer=customer, is_autopay=True)


def test_turning_it_on_schedules_each_open_invoice_once_on_its_date_up_to_the_maximum(world, account):
    small = world.invoice(amount_cents=120000)
    large = world.invoice(amount_cents=785000)
    _, report = turn_on(world, account)
    assert len(report.scheduled) == 2
    by_invoice = {c.invoice_id: c for c in AutoPayClaim.objects.select_related("payment")}
    assert by_invoice[small.pk].payment.amount_cents == 120000
    assert by_invoice[small.pk].left_to_pay_cents == 0
    assert by_invoice[large.pk].payment.amount_cents == 500000  # the maximum
    assert by_invoice[large.pk].left_to_pay_cents == 285000  # the customer is told to pay it by hand
    for invoice in (small, large):
        payment = by_invoice[invoice.pk].payment
        assert payment.status == PaymentStatus.SCHEDULED and payment.is_autopay
        assert payment.pay_on == expected_pay_on(world, invoice)
        assert payment.bank_account_id == account.pk
    large.refresh_from_db()
    assert (large.pending_cents, large.available_cents) == (500000, 285000)


def test_a_new_invoice_is_scheduled_when_it_is_created(world, account):
    turn_on(world, account)
    invoice = world.invoice(amount_cents=99000)
    claim = AutoPayClaim.objects.get(invoice=invoice)
    assert claim.payment.amount_cents == 99000 and claim.payment.pay_on == expected_pay_on(world, invoice)


def test_imported_invoices_are_scheduled_in_the_import_and_others_are_left_alone(world, account):
    turn_on(world, account)
    Customer.objects.filter(pk=world.customer.pk).update(reference="GLX-1")
    Customer.objects.filter(pk=world.other_customer.pk).update(reference="INI-7")
    data = (
        b"Invoice Number,Customer Reference,Issue Date,Terms,Description,Quantity,Unit Price\r\n"
        b"A-1,GLX-1,2026-11-02,Net 30,Widgets,2,125.00\r\n"
        b",GLX-1,2026-11-02,Net 30,Gadgets,1,10.00\r\n"
        b"A-2,INI-7,2026-11-02,Net 30,Widgets,1,10.00\r\n"
    )
    assert import_invoices(biller=world.biller, actor=world.owner, file=data).ok
    scheduled = {c.invoice.number: c.payment.amount_cents for c in AutoPayClaim.objects.select_related("invoice")}
    assert scheduled == {"A-1": 25000, "INV-00001": 1000}
    assert not AutoPayClaim.objects.filter(customer=world.other_customer).exists()


def test_running_the_sweep_again_and_again_schedules_nothing_more(world, account):
    for amount in (10000, 20000, 900000):
        world.invoice(amount_cents=amount)
    turn_on(world, account)
    before = list(autopay_payments(world.customer).values_list("pk", "amount_cents", "pay_on"))
    for _ in range(3):
        report = autopay_run()
        assert (report.scheduled, report.rescheduled, report.withdrawn) == ([], [], [])
    assert list(autopay_payments(world.customer).values_list("pk", "amount_cents", "pay_on")) == before


def test_the_database_refuses_a_second_claim_on_an_invoice(world, account):
    from django.db import IntegrityError, transaction

    invoice = world.invoice(amount_cents=10000)
    turn_on(world, account)
    claim = AutoPayClaim.objects.get(invoice=invoice)
    with pytest.raises(IntegrityError), transaction.atomic():
        AutoPayClaim.objects.create(
            invoice=invoice,
            customer=world.customer,
            payment=Payment.objects.create(
                biller=world.biller,
                customer=world.customer,
                method="ach",
                status="scheduled",
                amount_cents=1,
                pay_on=claim.payment.pay_on,
                bank_account=account,
                is_autopay=True,
            ),
            settings_version=1,
        )


def test_an_invoice_the_customer_already_scheduled_by_hand_is_left_alone(world, account):
    invoice = world.invoice(amount_cents=30000)
    payment_schedule(
        payer=world.admin,
        invoice_ids=[invoice.pk],
        bank_account_id=account.pk,
        pay_on=soonest_pay_on(world.biller),
        total_cents=10000,  # even a part: the customer is handling this invoice
    )
    _, report = turn_on(world, account)
    assert report.scheduled == [] and not AutoPayClaim.objects.exists()


def test_a_manual_payment_racing_auto_pay_gets_only_what_is_left(world, account):
    invoice = world.invoice(amount_cents=30000)
    turn_on(world, account)
    with pytest.raises(PaymentError, match="already paid or scheduled"):
        payment_schedule(
            payer=world.admin,
            invoice_ids=[invoice.pk],
            bank_account_id=account.pk,
            pay_on=soonest_pay_on(world.biller),
            total_cents=30000,
        )
    assert Payment.objects.filter(customer=world.customer).count() == 1


def test_turning_it_off_cancels_what_was_not_sent_and_on_again_schedules_again(world, account):
    invoice = world.invoice(amount_cents=30000)
    turn_on(world, account)
    first = AutoPayClaim.objects.get(invoice=invoice).payment
    _, report = autopay_save(
        customer=world.customer,
        actor=world.admin,
        enabled=False,
        max_cents=None,
        bank_account_id=None,
        days=None,
        when="before",
    )
    assert report.withdrawn == [first.pk]
    first.refresh_from_db()
    assert first.status == PaymentStatus.CANCELLED
    assert Invoice.objects.get(pk=invoice.pk).available_cents == 30000
    turn_on(world, account)
    second = AutoPayClaim.objects.get(invoice=invoice).payment
    assert second.pk != first.pk and second.status == PaymentStatus.SCHEDULED


def test_changing_the_maximum_days_or_account_reschedules_in_place(world, account):
    invoice = world.invoice(amount_cents=700000, issue_date=world.biller.created_at.date())
    turn_on(world, account)
    payment = AutoPayClaim.objects.get(invoice=invoice).payment
    savings = world.bank_account(account_type="savings", number="55554444")
    _, report = turn_on(world, savings, max_cents=600000, days=1, when="after")
    assert report.rescheduled == [payment.pk]
    payment.refresh_from_db()
    acme = world.biller
    now_local = datetime.now(ZoneInfo(acme.time_zone))
    assert payment.amount_cents == 600000
    assert payment.pay_on == autopay_pay_on(invoice.due_date, 1, now_local=now_local, cutoff=acme.ach_cutoff_time)
    assert payment.bank_account_id == savings.pk
    assert payment.status == PaymentStatus.SCHEDULED
    assert AutoPayClaim.objects.get(invoice=invoice).left_to_pay_cents == 100000
    last = payment.events.last()
    assert last is not None and "Auto Pay re-planned it" in last.note


def test_editing_the_invoice_adjusts_its_pending_auto_pay_payment(world, account):
    invoice = world.invoice(amount_cents=40000)
    turn_on(world, account)
    draft = InvoiceDraft(
        customer=world.customer,
        issue_date=invoice.issue_date,
        terms="net_60",
        lines=[Line("Widgets", Decimal(1), 25000)],  # lower than what Auto Pay had scheduled
    )
    invoice_update(invoice=invoice, actor=world.owner, draft=draft)
    invoice.refresh_from_db()
    claim = AutoPayClaim.objects.select_related("payment").get(invoice=invoice)
    assert claim.payment.amount_cents == 25000
    assert claim.payment.pay_on == expected_pay_on(world, invoice)
    assert (invoice.pending_cents, invoice.available_cents) == (25000, 0)


def test_voiding_the_invoice_cancels_its_auto_pay_payment_and_the_sweep_leaves_it(world, account):
    invoice = world.invoice(amount_cents=40000)
    turn_on(world, account)
    payment = AutoPayClaim.objects.get(invoice=invoice).payment
    invoice_void(invoice=invoice, actor=world.owner, reason="Raised in error")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert autopay_run().scheduled == []


def test_a_cheque_recorded_by_the_biller_takes_its_amount_from_the_auto_pay_payment(world, account):
    invoice = world.invoice(amount_cents=40000)
    turn_on(world, account)
    payment_record_offline(
        invoice=invoice,
        actor=world.owner,
        amount_cents=15000,
        method="check",
        received_on=invoice.issue_date,
        reference="Check 1",
    )
    claim = AutoPayClaim.objects.select_related("payment").get(invoice=invoice)
    assert claim.payment.amount_cents == 25000
    invoice.refresh_from_db()
    assert (invoice.paid_cents, invoice.pending_cents, invoice.available_cents) == (15000, 25000, 0)


def test_a_skipped_payment_is_never_scheduled_again(world, account, mailbox, run_on_commit):
    invoice = world.invoice(amount_cents=40000)
    turn_on(world, account)
    payment = AutoPayClaim.objects.get(invoice=invoice).payment
    with run_on_commit(execute=True):
        autopay_skip(payment=payment, actor=world.admin)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert autopay_run().scheduled == []
    assert turn_on(world, account, max_cents=450000)[1].scheduled == []  # a change of settings doesn't bring it back
    skipped = [m for m in mailbox() if "skipped" in m["Subject"]]
    assert skipped and "Nothing will be taken" in parts(skipped[-1])["text/plain"]


def test_a_member_cannot_skip(world, account):
    world.invoice(amount_cents=40000)
    turn_on(world, account)
    payment = autopay_payments(world.customer).get()
    with pytest.raises(PaymentError, match="Only an admin"):
        autopay_skip(payment=payment, actor=world.member)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SCHEDULED


def test_the_advance_notice_tells_the_amount_date_account_the_rest_and_how_to_skip(
    world, account, mailbox, run_on_commit
):
    world.invoice(amount_cents=120000, number="INV-A")
    world.invoice(amount_cents=785000, number="INV-B")
    with run_on_commit(execute=True):
        turn_on(world, account)
    notices = [m for m in mailbox() if m["Subject"].startswith("Auto Pay will pay")]
    assert len(notices) == 1 and notices[0]["To"] == "ap@globex.example"
    text = parts(notices[0])["text/plain"]
    b = AutoPayClaim.objects.select_related("payment").get(invoice__number="INV-B").payment
    assert "Invoice INV-A: $1,200.00" in text and "Invoice INV-B: $5,000.00" in text
    assert f"{b.pay_on:%A, %B} {b.pay_on.day}, {b.pay_on.year}" in text
    assert "••••6789" in text and "123456789" not in text
    assert "pay the remaining $2,850.00 by hand" in text
    assert text.count("Skip this payment: http") == 2
    biller_notes = [m for m in mailbox() if "above their Auto Pay maximum" in m["Subject"]]
    assert len(biller_notes) == 1 and "INV-B" in parts(biller_notes[0])["text/plain"]
    assert autopay_send_notices() == 0  # each payment is announced once


def test_a_private_account_of_someone_else_is_refused(world):
    from remit.autopay.settings import AutoPayError

    colleague = world.colleague("controller@globex.example")
    private = make_bank_account(colleague, private=True, number="99990000")
    with pytest.raises(AutoPayError, match="bank account you may pay from"):
        turn_on(world, private)
    assert not autopay_payments(world.customer).exists()


def save_as(world, actor, **changes):
    values = {"enabled": True, "max_cents": 500000, "bank_account_id": None, "days": 2, "when": "before", **changes}
    return autopay_save(customer=world.customer, actor=actor, **values)


class ColleaguesPrivate(NamedTuple):
    colleague: User
    private: BankAccount
    invoice: Invoice


@pytest.fixture
def colleagues_private(world, account):
    """Auto Pay is on, paying from the private account of another admin, Ophelia."""
    colleague = world.colleague("ophelia@globex.example")
    private = make_bank_account(colleague, private=True, number="99990000")
    invoice = world.invoice(amount_cents=700000)
    save_as(world, colleague, bank_account_id=private.pk)
    return ColleaguesPrivate(colleague, private, invoice)


@pytest.mark.parametrize("chosen", ["keep", "none"])
def test_another_admin_keeps_a_colleagues_private_account_while_changing_the_maximum(world, colleagues_private, chosen):
    private = colleagues_private.private
    # The admin may use one account of their own: saving never switches to it behind their back.
    save_as(world, world.admin, max_cents=600000, bank_account_id=private.pk if chosen == "keep" else None)
    assert AutoPay.objects.get().bank_account_id == private.pk
    payment = AutoPayClaim.objects.get(invoice=colleagues_private.invoice).payment
    assert (payment.bank_account_id, payment.amount_cents) == (private.pk, 600000)


def test_another_admin_may_switch_to_a_shared_account_but_never_back_to_a_colleagues_private_one(
    world, account, colleagues_private
):
    from remit.autopay.settings import AutoPayError

    private, shared = colleagues_private.private, account
    save_as(world, world.admin, bank_account_id=shared.pk)
    payment = AutoPayClaim.objects.get(invoice=colleagues_private.invoice).payment
    assert AutoPay.objects.get().bank_account_id == shared.pk and payment.bank_account_id == shared.pk
    last = payment.events.last()
    assert last is not None and "bank account changed" in last.note
    assert "0000" not in last.note  # the history names no account
    with pytest.raises(AutoPayError, match="bank account you may pay from"):
        save_as(world, world.admin, bank_account_id=private.pk)
    assert AutoPay.objects.get().bank_account_id == shared.pk
    save_as(world, colleagues_private.colleague, bank_account_id=private.pk)  # its owner may
    assert AutoPay.objects.get().bank_account_id == private.pk


def test_once_off_another_admin_cannot_turn_it_on_again_with_a_colleagues_private_account(world, colleagues_private):
    from remit.autopay.settings import AutoPayError

    private = colleagues_private.private
    save_as(world, world.admin, enabled=False, bank_account_id=private.pk)  # off; the account unchanged
    assert not AutoPay.objects.get().enabled and AutoPay.objects.get().bank_account_id == private.pk
    with pytest.raises(AutoPayError, match="bank account you may pay from"):
        save_as(world, world.admin, bank_account_id=private.pk)
    assert not AutoPay.objects.get().enabled


def test_an_overdue_invoice_is_paid_on_the_earliest_date(world, account):
    today = world.biller.created_at.date()
    invoice = world.invoice(amount_cents=5000, issue_date=today - timedelta(days=90))
    turn_on(world, account)
    assert AutoPayClaim.objects.get(invoice=invoice).payment.pay_on == soonest_pay_on(world.biller)


def test_another_customers_invoices_are_not_touched(world, account):
    initech = world.other_customer
    make_invoice(initech, amount_cents=5000)
    turn_on(world, account)
    assert not Payment.objects.filter(customer=initech).exists()


def test_the_billers_cash_flow_forecast_counts_auto_pay_payments(world, account):
    from django.utils import timezone

    from remit.invoices.reports import cash_flow_forecast

    invoice = world.invoice(amount_cents=120000, terms="net_15")
    turn_on(world, account)
    payment = AutoPayClaim.objects.get(invoice=invoice).payment
    forecast = {day.day: day for day in cash_flow_forecast(biller=world.biller, today=timezone.localdate())}
    assert forecast[payment.pay_on].total_cents == 120000
    assert forecast[payment.pay_on].autopay_cents == 120000
