"""The Auto Pay engine: what it schedules, how much, when, and that it never does anything twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from remit.autopay.actions import autopay_run, autopay_save, autopay_send_notices, autopay_skip
from remit.autopay.models import AutoPay, AutoPayClaim
from remit.autopay.rules import autopay_pay_on
from remit.customers.models import Customer
from remit.invoices.actions import InvoiceDraft, invoice_update, invoice_void
from remit.invoices.importer import import_invoices
from remit.invoices.models import Invoice
from remit.invoices.totals import Line
from remit.payments.actions import PaymentError, payment_record_offline, payment_schedule
from remit.payments.models import Payment, PaymentStatus
from remit.test import (
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    parts,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex():
    acme, owner = make_biller("Acme Supply Co.")
    customer = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    admin = make_portal_user(customer)
    account = make_bank_account(admin, number="123456789")
    return {"acme": acme, "owner": owner, "customer": customer, "admin": admin, "account": account}


def turn_on(world, *, max_cents=500000, days=2, when="before", account=None):
    return autopay_save(
        customer=world["customer"],
        actor=world["admin"],
        enabled=True,
        max_cents=max_cents,
        bank_account_id=(account or world["account"]).pk,
        days=days,
        when=when,
    )


def expected_pay_on(world, invoice):
    acme = world["acme"]
    now_local = datetime.now(ZoneInfo(acme.time_zone))
    return autopay_pay_on(invoice.due_date, -2, now_local=now_local, cutoff=acme.ach_cutoff_time)


def autopay_payments(customer):
    return Payment.objects.filter(customer=customer, is_autopay=True)


def test_turning_it_on_schedules_each_open_invoice_once_on_its_date_up_to_the_maximum(globex):
    small = make_invoice(globex["customer"], amount_cents=120000)
    large = make_invoice(globex["customer"], amount_cents=785000)
    _, report = turn_on(globex)
    assert len(report.scheduled) == 2
    by_invoice = {c.invoice_id: c for c in AutoPayClaim.objects.select_related("payment")}
    assert by_invoice[small.pk].payment.amount_cents == 120000
    assert by_invoice[small.pk].left_to_pay_cents == 0
    assert by_invoice[large.pk].payment.amount_cents == 500000  # the maximum
    assert by_invoice[large.pk].left_to_pay_cents == 285000  # the customer is told to pay it by hand
    for invoice in (small, large):
        payment = by_invoice[invoice.pk].payment
        assert payment.status == PaymentStatus.SCHEDULED and payment.is_autopay
        assert payment.pay_on == expected_pay_on(globex, invoice)
        assert payment.bank_account_id == globex["account"].pk
    large.refresh_from_db()
    assert (large.pending_cents, large.available_cents) == (500000, 285000)


def test_a_new_invoice_is_scheduled_when_it_is_created(globex):
    turn_on(globex)
    invoice = make_invoice(globex["customer"], amount_cents=99000)
    claim = AutoPayClaim.objects.get(invoice=invoice)
    assert claim.payment.amount_cents == 99000 and claim.payment.pay_on == expected_pay_on(globex, invoice)


def test_imported_invoices_are_scheduled_in_the_import_and_others_are_left_alone(globex):
    turn_on(globex)
    other = make_customer(globex["acme"], "Initech", reference="INI-7")
    Customer.objects.filter(pk=globex["customer"].pk).update(reference="GLX-1")
    data = (
        b"Invoice Number,Customer Reference,Issue Date,Terms,Description,Quantity,Unit Price\r\n"
        b"A-1,GLX-1,2026-11-02,Net 30,Widgets,2,125.00\r\n"
        b",GLX-1,2026-11-02,Net 30,Gadgets,1,10.00\r\n"
        b"A-2,INI-7,2026-11-02,Net 30,Widgets,1,10.00\r\n"
    )
    assert import_invoices(biller=globex["acme"], actor=globex["owner"], file=data).ok
    scheduled = {c.invoice.number: c.payment.amount_cents for c in AutoPayClaim.objects.select_related("invoice")}
    assert scheduled == {"A-1": 25000, "INV-00001": 1000}
    assert not AutoPayClaim.objects.filter(customer=other).exists()


def test_running_the_sweep_again_and_again_schedules_nothing_more(globex):
    for amount in (10000, 20000, 900000):
        make_invoice(globex["customer"], amount_cents=amount)
    turn_on(globex)
    before = list(autopay_payments(globex["customer"]).values_list("pk", "amount_cents", "pay_on"))
    for _ in range(3):
        report = autopay_run()
        assert (report.scheduled, report.rescheduled, report.withdrawn) == ([], [], [])
    assert list(autopay_payments(globex["customer"]).values_list("pk", "amount_cents", "pay_on")) == before


def test_the_database_refuses_a_second_claim_on_an_invoice(globex):
    from django.db import IntegrityError, transaction

    invoice = make_invoice(globex["customer"], amount_cents=10000)
    turn_on(globex)
    claim = AutoPayClaim.objects.get(invoice=invoice)
    with pytest.raises(IntegrityError), transaction.atomic():
        AutoPayClaim.objects.create(
            invoice=invoice,
            customer=globex["customer"],
            payment=Payment.objects.create(
                biller=globex["acme"],
                customer=globex["customer"],
                method="ach",
                status="scheduled",
                amount_cents=1,
                pay_on=claim.payment.pay_on,
                bank_account=globex["account"],
                is_autopay=True,
            ),
            settings_version=1,
        )


def test_an_invoice_the_customer_already_scheduled_by_hand_is_left_alone(globex):
    invoice = make_invoice(globex["customer"], amount_cents=30000)
    payment_schedule(
        payer=globex["admin"],
        invoice_ids=[invoice.pk],
        bank_account_id=globex["account"].pk,
        pay_on=soonest_pay_on(globex["acme"]),
        total_cents=10000,  # even a part: the customer is handling this invoice
    )
    _, report = turn_on(globex)
    assert report.scheduled == [] and not AutoPayClaim.objects.exists()


def test_a_manual_payment_racing_auto_pay_gets_only_what_is_left(globex):
    invoice = make_invoice(globex["customer"], amount_cents=30000)
    turn_on(globex)
    with pytest.raises(PaymentError, match="already paid or scheduled"):
        payment_schedule(
            payer=globex["admin"],
            invoice_ids=[invoice.pk],
            bank_account_id=globex["account"].pk,
            pay_on=soonest_pay_on(globex["acme"]),
            total_cents=30000,
        )
    assert Payment.objects.filter(customer=globex["customer"]).count() == 1


def test_turning_it_off_cancels_what_was_not_sent_and_on_again_schedules_again(globex):
    invoice = make_invoice(globex["customer"], amount_cents=30000)
    turn_on(globex)
    first = AutoPayClaim.objects.get(invoice=invoice).payment
    _, report = autopay_save(
        customer=globex["customer"],
        actor=globex["admin"],
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
    turn_on(globex)
    second = AutoPayClaim.objects.get(invoice=invoice).payment
    assert second.pk != first.pk and second.status == PaymentStatus.SCHEDULED


def test_changing_the_maximum_days_or_account_reschedules_in_place(globex):
    invoice = make_invoice(globex["customer"], amount_cents=700000, issue_date=globex["acme"].created_at.date())
    turn_on(globex)
    payment = AutoPayClaim.objects.get(invoice=invoice).payment
    savings = make_bank_account(globex["admin"], account_type="savings", number="55554444")
    _, report = turn_on(globex, max_cents=600000, days=1, when="after", account=savings)
    assert report.rescheduled == [payment.pk]
    payment.refresh_from_db()
    acme = globex["acme"]
    now_local = datetime.now(ZoneInfo(acme.time_zone))
    assert payment.amount_cents == 600000
    assert payment.pay_on == autopay_pay_on(invoice.due_date, 1, now_local=now_local, cutoff=acme.ach_cutoff_time)
    assert payment.bank_account_id == savings.pk
    assert payment.status == PaymentStatus.SCHEDULED
    assert AutoPayClaim.objects.get(invoice=invoice).left_to_pay_cents == 100000
    last = payment.events.last()
    assert last is not None and "Auto Pay re-planned it" in last.note


def test_editing_the_invoice_adjusts_its_pending_auto_pay_payment(globex):
    invoice = make_invoice(globex["customer"], amount_cents=40000)
    turn_on(globex)
    draft = InvoiceDraft(
        customer=globex["customer"],
        issue_date=invoice.issue_date,
        terms="net_60",
        lines=[Line("Widgets", Decimal(1), 25000)],  # lower than what Auto Pay had scheduled
    )
    invoice_update(invoice=invoice, actor=globex["owner"], draft=draft)
    invoice.refresh_from_db()
    claim = AutoPayClaim.objects.select_related("payment").get(invoice=invoice)
    assert claim.payment.amount_cents == 25000
    assert claim.payment.pay_on == expected_pay_on(globex, invoice)
    assert (invoice.pending_cents, invoice.available_cents) == (25000, 0)


def test_voiding_the_invoice_cancels_its_auto_pay_payment_and_the_sweep_leaves_it(globex):
    invoice = make_invoice(globex["customer"], amount_cents=40000)
    turn_on(globex)
    payment = AutoPayClaim.objects.get(invoice=invoice).payment
    invoice_void(invoice=invoice, actor=globex["owner"], reason="Raised in error")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert autopay_run().scheduled == []


def test_a_cheque_recorded_by_the_biller_takes_its_amount_from_the_auto_pay_payment(globex):
    invoice = make_invoice(globex["customer"], amount_cents=40000)
    turn_on(globex)
    payment_record_offline(
        invoice=invoice,
        actor=globex["owner"],
        amount_cents=15000,
        method="check",
        received_on=invoice.issue_date,
        reference="Check 1",
    )
    claim = AutoPayClaim.objects.select_related("payment").get(invoice=invoice)
    assert claim.payment.amount_cents == 25000
    invoice.refresh_from_db()
    assert (invoice.paid_cents, invoice.pending_cents, invoice.available_cents) == (15000, 25000, 0)


def test_a_skipped_payment_is_never_scheduled_again(globex, mailbox, run_on_commit):
    invoice = make_invoice(globex["customer"], amount_cents=40000)
    turn_on(globex)
    payment = AutoPayClaim.objects.get(invoice=invoice).payment
    with run_on_commit(execute=True):
        autopay_skip(payment=payment, actor=globex["admin"])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert autopay_run().scheduled == []
    assert turn_on(globex, max_cents=450000)[1].scheduled == []  # a change of settings doesn't bring it back
    skipped = [m for m in mailbox() if "skipped" in m["Subject"]]
    assert skipped and "Nothing will be taken" in parts(skipped[-1])["text/plain"]


def test_a_member_cannot_skip(globex):
    member = make_portal_user(globex["customer"], email="clerk@globex.example", role="member")
    make_invoice(globex["customer"], amount_cents=40000)
    turn_on(globex)
    payment = autopay_payments(globex["customer"]).get()
    with pytest.raises(PaymentError, match="Only an admin"):
        autopay_skip(payment=payment, actor=member)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SCHEDULED


def test_the_advance_notice_tells_the_amount_date_account_the_rest_and_how_to_skip(globex, mailbox, run_on_commit):
    make_invoice(globex["customer"], amount_cents=120000, number="INV-A")
    make_invoice(globex["customer"], amount_cents=785000, number="INV-B")
    with run_on_commit(execute=True):
        turn_on(globex)
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


def test_a_private_account_of_someone_else_is_refused(globex):
    from remit.autopay.actions import AutoPayError

    colleague = make_portal_user(globex["customer"], email="controller@globex.example", role="admin")
    private = make_bank_account(colleague, private=True, number="99990000")
    with pytest.raises(AutoPayError, match="bank account you may pay from"):
        turn_on(globex, account=private)
    assert not autopay_payments(globex["customer"]).exists()


def save_as(world, actor, **changes):
    values = {"enabled": True, "max_cents": 500000, "bank_account_id": None, "days": 2, "when": "before", **changes}
    return autopay_save(customer=world["customer"], actor=actor, **values)


@pytest.fixture
def colleagues_private(globex):
    """Auto Pay is on, paying from the private account of another admin, Ophelia."""
    colleague = make_portal_user(globex["customer"], email="ophelia@globex.example", role="admin")
    private = make_bank_account(colleague, private=True, number="99990000")
    invoice = make_invoice(globex["customer"], amount_cents=700000)
    save_as(globex, colleague, bank_account_id=private.pk)
    return {"colleague": colleague, "private": private, "invoice": invoice}


@pytest.mark.parametrize("chosen", ["keep", "none"])
def test_another_admin_keeps_a_colleagues_private_account_while_changing_the_maximum(
    globex, colleagues_private, chosen
):
    private = colleagues_private["private"]
    # The admin may use one account of their own: saving never switches to it behind their back.
    save_as(globex, globex["admin"], max_cents=600000, bank_account_id=private.pk if chosen == "keep" else None)
    assert AutoPay.objects.get().bank_account_id == private.pk
    payment = AutoPayClaim.objects.get(invoice=colleagues_private["invoice"]).payment
    assert (payment.bank_account_id, payment.amount_cents) == (private.pk, 600000)


def test_another_admin_may_switch_to_a_shared_account_but_never_back_to_a_colleagues_private_one(
    globex, colleagues_private
):
    from remit.autopay.actions import AutoPayError

    private, shared = colleagues_private["private"], globex["account"]
    save_as(globex, globex["admin"], bank_account_id=shared.pk)
    payment = AutoPayClaim.objects.get(invoice=colleagues_private["invoice"]).payment
    assert AutoPay.objects.get().bank_account_id == shared.pk and payment.bank_account_id == shared.pk
    last = payment.events.last()
    assert last is not None and "bank account changed" in last.note
    assert "0000" not in last.note  # the history names no account
    with pytest.raises(AutoPayError, match="bank account you may pay from"):
        save_as(globex, globex["admin"], bank_account_id=private.pk)
    assert AutoPay.objects.get().bank_account_id == shared.pk
    save_as(globex, colleagues_private["colleague"], bank_account_id=private.pk)  # its owner may
    assert AutoPay.objects.get().bank_account_id == private.pk


def test_once_off_another_admin_cannot_turn_it_on_again_with_a_colleagues_private_account(globex, colleagues_private):
    from remit.autopay.actions import AutoPayError

    private = colleagues_private["private"]
    save_as(globex, globex["admin"], enabled=False, bank_account_id=private.pk)  # off; the account unchanged
    assert not AutoPay.objects.get().enabled and AutoPay.objects.get().bank_account_id == private.pk
    with pytest.raises(AutoPayError, match="bank account you may pay from"):
        save_as(globex, globex["admin"], bank_account_id=private.pk)
    assert not AutoPay.objects.get().enabled


def test_an_overdue_invoice_is_paid_on_the_earliest_date(globex):
    today = globex["acme"].created_at.date()
    invoice = make_invoice(globex["customer"], amount_cents=5000, issue_date=today - timedelta(days=90))
    turn_on(globex)
    assert AutoPayClaim.objects.get(invoice=invoice).payment.pay_on == soonest_pay_on(globex["acme"])


def test_another_customers_invoices_are_not_touched(globex):
    initech = make_customer(globex["acme"], "Initech", email="pat@initech.example")
    make_invoice(initech, amount_cents=5000)
    turn_on(globex)
    assert not Payment.objects.filter(customer=initech).exists()


def test_the_billers_cash_flow_forecast_counts_auto_pay_payments(globex):
    from django.utils import timezone

    from remit.invoices.reports import cash_flow_forecast

    invoice = make_invoice(globex["customer"], amount_cents=120000, terms="net_15")
    turn_on(globex)
    payment = AutoPayClaim.objects.get(invoice=invoice).payment
    forecast = {day.day: day for day in cash_flow_forecast(biller=globex["acme"], today=timezone.localdate())}
    assert forecast[payment.pay_on].total_cents == 120000
    assert forecast[payment.pay_on].autopay_cents == 120000
