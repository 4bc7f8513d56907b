"""The biller's switches and a customer's limits (issue 14, item 1): owner only, audited, and the one
write path for payments by hand refuses or holds as they say; refusals change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from remit.lib.banking_days import is_banking_day
from remit.lib.errors import NotPermitted
from remit.payments.actions import PaymentError, payment_schedule
from remit.payments.controls import (
    CANCEL,
    KEEP,
    PaymentControlsError,
    autopay_allowed_sql,
    customer_payment_settings_save,
    payment_rules,
    payment_settings_save,
)
from remit.payments.models import (
    CustomerPaymentSettings,
    Payment,
    PaymentEvent,
    PaymentHold,
    PaymentSettings,
    PaymentSettingsChange,
    PaymentStatus,
)
from remit.test import make_staff, parts, soonest_pay_on

pytestmark = pytest.mark.django_db


def switch(world, **changes):
    values = {"accept_ach": True, "allow_autopay": True, "over_limit": "refuse", "scheduled": KEEP, **changes}
    return payment_settings_save(biller=world.biller, actor=world.owner, **values)


def override(world, customer=None, **changes):
    values = {
        "accept_ach": "inherit",
        "allow_autopay": "inherit",
        "max_per_payment_cents": None,
        "max_per_month_cents": None,
        "scheduled": KEEP,
        **changes,
    }
    return customer_payment_settings_save(customer=customer or world.customer, actor=world.owner, **values)


def pay(world, account, cents, *, pay_on=None):
    invoice = world.invoice(amount_cents=cents)
    return payment_schedule(
        payer=world.admin,
        invoice_ids=[invoice.pk],
        bank_account_id=account.pk,
        pay_on=pay_on or soonest_pay_on(world.biller),
        total_cents=cents,
    )


def test_by_default_everything_is_allowed_without_limits(world):
    rules = payment_rules(world.customer)
    assert (rules.accept_ach, rules.allow_autopay, rules.max_per_payment_cents, rules.max_per_month_cents) == (
        True,
        True,
        None,
        None,
    )


def test_a_customer_override_wins_over_the_biller_and_auto_pay_never_goes_without_ach(world):
    switch(world, accept_ach=False)
    assert not payment_rules(world.customer).accept_ach
    assert not payment_rules(world.customer).allow_autopay
    override(world, accept_ach="on")
    rules = payment_rules(world.customer)
    assert rules.accept_ach and rules.allow_autopay
    assert not payment_rules(world.other_customer).accept_ach
    override(world, accept_ach="inherit", allow_autopay="off")
    assert not payment_rules(world.customer).allow_autopay


def test_the_sql_form_of_auto_pay_allowed_agrees_with_the_rules_for_every_combination(world):
    from remit.customers.models import Customer
    from remit.test import make_customer

    overrides = [(ach, autopay) for ach in ("inherit", "on", "off") for autopay in ("inherit", "on", "off")]
    customers = [make_customer(world.biller, f"Customer {ach} {autopay}") for ach, autopay in overrides]
    for customer, (ach, autopay) in zip(customers, overrides, strict=True):
        override(world, customer, accept_ach=ach, allow_autopay=autopay)
    for accept_ach in (True, False):
        for allow_autopay in (True, False):
            switch(world, accept_ach=accept_ach, allow_autopay=allow_autopay)
            everyone = Customer.objects.filter(biller=world.biller)
            in_sql = set(everyone.filter(autopay_allowed_sql(world.biller)).values_list("pk", flat=True))
            in_python = {c.pk for c in everyone if payment_rules(c).allow_autopay}
            assert in_sql == in_python, (accept_ach, allow_autopay)


def test_only_an_owner_may_change_the_switches(world):
    staff = make_staff(world.biller)
    with pytest.raises(NotPermitted):
        payment_settings_save(
            biller=world.biller, actor=staff, accept_ach=False, allow_autopay=True, over_limit="refuse"
        )
    with pytest.raises(NotPermitted):
        customer_payment_settings_save(
            customer=world.customer,
            actor=staff,
            accept_ach="off",
            allow_autopay="inherit",
            max_per_payment_cents=None,
            max_per_month_cents=None,
        )
    assert not PaymentSettings.objects.exists() and not CustomerPaymentSettings.objects.exists()
    assert not PaymentSettingsChange.objects.exists()


@pytest.mark.parametrize(("field", "cents"), [("max_per_payment", 0), ("max_per_month", -100)])
def test_a_limit_of_zero_or_less_is_refused_naming_the_field(world, field, cents):
    with pytest.raises(PaymentControlsError) as refused:
        override(world, **{f"{field}_cents": cents})
    assert refused.value.field == field
    label = "Maximum per payment" if field == "max_per_payment" else "Maximum per month"
    assert label in refused.value.message
    assert not CustomerPaymentSettings.objects.exists() and not PaymentSettingsChange.objects.exists()


def test_every_change_is_recorded_with_who_and_the_values_before_and_after(world):
    switch(world, accept_ach=False)
    override(world, max_per_payment_cents=50000)
    switch(world, accept_ach=False)  # no change: no row
    biller_change, customer_change = PaymentSettingsChange.objects.order_by("pk")
    assert (biller_change.customer, biller_change.actor_email) == (None, world.owner.email)
    assert (biller_change.before, biller_change.after) == ({"accept_ach": True}, {"accept_ach": False})
    assert biller_change.scheduled == "kept"
    assert customer_change.customer == world.customer
    assert customer_change.scheduled == ""  # nothing was switched off: nothing to keep or cancel
    assert (customer_change.before, customer_change.after) == (
        {"max_per_payment_cents": None},
        {"max_per_payment_cents": 50000},
    )
    assert PaymentSettingsChange.objects.count() == 2


def test_with_ach_off_a_payment_is_refused_and_nothing_is_written(world):
    account = world.bank_account()
    invoice = world.invoice(amount_cents=10000)
    override(world, accept_ach="off")
    with pytest.raises(PaymentError, match=r"Acme Supply Co\. doesn't accept ACH payments"):
        payment_schedule(
            payer=world.admin,
            invoice_ids=[invoice.pk],
            bank_account_id=account.pk,
            pay_on=soonest_pay_on(world.biller),
            total_cents=10000,
        )
    assert not Payment.objects.exists()


def test_above_the_limit_per_payment_it_is_refused_naming_the_limit(world):
    account = world.bank_account()
    override(world, max_per_payment_cents=50000)
    pay(world, account, 50000)
    with pytest.raises(PaymentError) as refused:
        pay(world, account, 50001)
    assert (
        refused.value.message == "This payment of $500.01 is above the $500.00 limit per payment set by Acme Supply Co."
    )
    assert Payment.objects.count() == 1


def test_the_month_counts_scheduled_sent_and_settled_payments_of_that_month_only(world):
    account = world.bank_account()
    day = soonest_pay_on(world.biller)
    override(world, max_per_month_cents=100000)
    first = pay(world, account, 60000, pay_on=day)
    cancelled = pay(world, account, 30000, pay_on=day)
    Payment.objects.filter(pk=cancelled.pk).update(status=PaymentStatus.CANCELLED)
    Payment.objects.filter(pk=first.pk).update(status=PaymentStatus.SETTLED)
    pay(world, account, 40000, pay_on=day)  # 60,000 + 40,000: exactly the limit
    with pytest.raises(PaymentError, match=r"above the \$1,000.00 limit per month set by Acme Supply Co."):
        pay(world, account, 1, pay_on=day)
    next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=10)
    while not is_banking_day(next_month):
        next_month += timedelta(days=1)
    pay(world, account, 90000, pay_on=next_month)  # another month: its own limit


def test_when_the_biller_holds_a_payment_above_the_limit_is_scheduled_and_held(world, run_on_commit, mailbox):
    account = world.bank_account()
    switch(world, over_limit="hold")
    override(world, max_per_payment_cents=50000)
    with run_on_commit(execute=True):
        payment = pay(world, account, 70000)
    assert payment.status == PaymentStatus.SCHEDULED
    hold = PaymentHold.objects.get(payment=payment)
    assert hold.rule_code == "over_payment_limit" and hold.decided_at is None
    assert "above the $500.00 limit per payment" in hold.reason
    assert PaymentEvent.objects.filter(payment=payment, note="Held for review").exists()
    [confirmation] = [m for m in mailbox() if m["To"] == "ap@globex.example"]
    assert "Acme Supply Co. reviews this payment before it goes to the bank" in parts(confirmation)["text/plain"]


def test_switching_ach_off_and_cancelling_cancels_the_scheduled_payments_and_reopens_invoices(world):
    account = world.bank_account()
    payment = pay(world, account, 10000)
    invoice = payment.allocations.get().invoice
    switch(world, accept_ach=False, scheduled=CANCEL)
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and invoice.available_cents == 10000
    change = PaymentSettingsChange.objects.get()
    assert change.scheduled == "cancelled" and change.cancelled_payment_ids == [payment.pk]
    assert "switched off ACH payments" in PaymentEvent.objects.filter(payment=payment).latest("pk").note


def test_switching_ach_off_and_keeping_keeps_the_scheduled_payments(world):
    account = world.bank_account()
    payment = pay(world, account, 10000)
    override(world, accept_ach="off", scheduled=KEEP)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SCHEDULED


def test_cancelling_with_a_payment_already_in_a_file_is_refused_and_changes_nothing(world):
    account = world.bank_account()
    sent = pay(world, account, 10000)
    scheduled = pay(world, account, 20000)
    Payment.objects.filter(pk=sent.pk).update(status=PaymentStatus.SENT)
    with pytest.raises(PaymentControlsError, match="1 of the payments you asked to cancel is already in a file"):
        override(world, accept_ach="off", scheduled=CANCEL)
    scheduled.refresh_from_db()
    assert scheduled.status == PaymentStatus.SCHEDULED
    assert not CustomerPaymentSettings.objects.exists() and not PaymentSettingsChange.objects.exists()
    assert payment_rules(world.customer).accept_ach


def test_the_limits_text_in_an_email_names_no_account(world, run_on_commit, mailbox):
    """Guard: the hold changes none of the emails' account disclosure."""
    account = world.bank_account(number="123456789")
    switch(world, over_limit="hold")
    override(world, max_per_payment_cents=100)
    with run_on_commit(execute=True):
        pay(world, account, 200)
    assert all("123456789" not in parts(m).get("text/plain", "") for m in mailbox())
