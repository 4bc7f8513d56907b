"""Auto Pay under the biller's controls (issue 14, item 1): not allowed, it makes no payment and
can't be turned on; switched off, its customers are emailed and its payments kept or cancelled;
above a customer's limit, its payment is not made or is held, as the biller chose."""

from __future__ import annotations

import pytest

from remit.autopay.engine import autopay_run
from remit.autopay.models import AutoPayClaim, AutoPayRefusal
from remit.autopay.settings import AutoPayError, autopay_save
from remit.payments.controls import CANCEL, KEEP, customer_payment_settings_save, payment_settings_save
from remit.payments.models import Payment, PaymentHold, PaymentStatus
from remit.test import parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(world):
    return world.bank_account(number="123456789")


def turn_on(world, account):
    return autopay_save(
        customer=world.customer,
        actor=world.admin,
        enabled=True,
        max_cents=500000,
        bank_account_id=account.pk,
        days=2,
        when="before",
    )


def biller_switches(world, **changes):
    values = {"accept_ach": True, "allow_autopay": True, "over_limit": "refuse", "scheduled": KEEP, **changes}
    return payment_settings_save(biller=world.biller, actor=world.owner, **values)


def limits(world, **changes):
    values = {
        "accept_ach": "inherit",
        "allow_autopay": "inherit",
        "max_per_payment_cents": None,
        "max_per_month_cents": None,
        "scheduled": KEEP,
        **changes,
    }
    return customer_payment_settings_save(customer=world.customer, actor=world.owner, **values)


def autopay_payments(world):
    return Payment.objects.filter(customer=world.customer, is_autopay=True)


def test_auto_pay_cannot_be_turned_on_when_the_biller_does_not_allow_it(world, account):
    limits(world, allow_autopay="off")
    with pytest.raises(AutoPayError, match="doesn't offer Auto Pay to this account"):
        turn_on(world, account)


def test_not_allowed_the_engine_makes_no_new_payment_and_keeps_what_was_scheduled(
    world, account, run_on_commit, mailbox
):
    turn_on(world, account)
    kept = world.invoice(amount_cents=10000)
    assert autopay_payments(world).count() == 1
    with run_on_commit(execute=True):
        biller_switches(world, allow_autopay=False, scheduled=KEEP)
    new = world.invoice(amount_cents=20000)
    autopay_run()
    assert list(autopay_payments(world).values_list("status", flat=True)) == [PaymentStatus.SCHEDULED]
    assert not AutoPayClaim.objects.filter(invoice=new).exists()
    assert AutoPayClaim.objects.filter(invoice=kept).exists()
    [told] = [m for m in mailbox() if "turned Auto Pay off" in m["Subject"]]
    assert told["To"] == "ap@globex.example"
    text = parts(told)["text/plain"]
    assert "new invoices will not be paid automatically" in text and "1 Auto Pay payment already scheduled goes" in text


def test_switched_off_with_cancel_its_payments_are_cancelled_and_paid_again_once_allowed(
    world, account, run_on_commit, mailbox
):
    turn_on(world, account)
    invoice = world.invoice(amount_cents=10000)
    payment = autopay_payments(world).get()
    manual_customer_payments_survive = Payment.objects.filter(is_autopay=False).count()
    with run_on_commit(execute=True):
        limits(world, allow_autopay="off", scheduled=CANCEL)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert not AutoPayClaim.objects.filter(invoice=invoice).exists()
    assert Payment.objects.filter(is_autopay=False).count() == manual_customer_payments_survive
    [told] = [m for m in mailbox() if "turned Auto Pay off" in m["Subject"]]
    assert "1 scheduled Auto Pay payment was cancelled" in parts(told)["text/plain"]
    limits(world, allow_autopay="inherit")
    autopay_run()
    assert autopay_payments(world).filter(status=PaymentStatus.SCHEDULED).count() == 1


def test_above_the_limit_the_engine_makes_no_payment_when_the_biller_refuses(world, account):
    limits(world, max_per_payment_cents=15000)
    turn_on(world, account)
    small = world.invoice(amount_cents=10000)
    large = world.invoice(amount_cents=20000)
    assert AutoPayClaim.objects.filter(invoice=small).exists()
    assert not AutoPayClaim.objects.filter(invoice=large).exists()


def test_above_the_month_limit_the_engine_holds_when_the_biller_holds(world, account):
    biller_switches(world, over_limit="hold")
    limits(world, max_per_month_cents=25000)
    first = world.invoice(amount_cents=20000)
    second = world.invoice(amount_cents=20000)
    turn_on(world, account)  # both planned in one batch: the second passes the month's limit
    held = PaymentHold.objects.get()
    assert held.payment.allocations.get().invoice == second
    assert held.rule_code == "over_month_limit" and "$400.00" in held.reason
    assert not PaymentHold.objects.filter(payment__allocations__invoice=first).exists()


def test_an_invoice_refused_for_the_limit_is_told_to_the_admins_once(world, account, run_on_commit, mailbox):
    limits(world, max_per_payment_cents=15000)
    with run_on_commit(execute=True):
        turn_on(world, account)
        large = world.invoice(amount_cents=20000)
        autopay_run()  # a later sweep looks at it again: nothing new to say
    [told] = [m for m in mailbox() if "Auto Pay did not pay" in m["Subject"]]
    assert told["To"] == "ap@globex.example" and large.number in told["Subject"]
    text = parts(told)["text/plain"]
    assert "$200.00 is above the $150.00 limit per payment" in text and "/pay-bills/" in text
    assert AutoPayRefusal.objects.get().invoice == large
    assert not AutoPayClaim.objects.filter(invoice=large).exists()
