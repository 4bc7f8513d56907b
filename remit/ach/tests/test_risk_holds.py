"""The biller's risk rules through the real export: a payment that trips one is held for review and
left out of the file, goes in the next file once approved, and is never held again; each rule at its
threshold (just inside and just outside), and switched off."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from remit.ach.models import AchEntry
from remit.ach.tests.test_export import acme, export, pay, payer  # noqa: F401 (fixtures)
from remit.autopay.models import AutoPayChange
from remit.autopay.settings import autopay_save
from remit.lib.banking_days import next_banking_day
from remit.payments.holds import payment_hold_decide
from remit.payments.models import BankAccount, Payment, PaymentEvent, PaymentHold, PaymentStatus
from remit.payments.risk_rules import RiskSettings
from remit.payments.risk_settings import risk_rules_save
from remit.test import ach_payment_rows, make_bank_account, make_invoice
from remit.webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(days=90)


def age(*accounts):
    """Accounts of long standing: only the rule under test may trip."""
    BankAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(created_at=timezone.now() - LONG_AGO)


def sent_ids():
    return set(AchEntry.objects.values_list("payment_id", flat=True))


def only(biller, owner, **on):
    """Every rule off but those named (with their parameters)."""
    off = dict.fromkeys(("new_account_on", "account_change_on", "unusual_amount_on"), False)
    off |= {"many_accounts_on": False, "shared_account_on": False}
    risk_rules_save(biller=biller, actor=owner, rules=RiskSettings(**(off | on)))


def test_a_first_debit_above_the_amount_is_held_out_of_the_file_and_goes_once_approved(acme, export):  # noqa: F811
    biller, owner = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    risky = pay(biller, user, account, [make_invoice(customer, amount_cents=300_000)])
    _, jo, jo_account = payer(biller, "Jo Smith", personal=True, number="55506789")
    at_limit = pay(biller, jo, jo_account, [make_invoice(jo_account.customer, amount_cents=250_000)])
    result = export(biller=biller, effective_date=risky.pay_on)
    assert sent_ids() == {at_limit.pk}  # $2,500.00 is not above $2,500.00
    hold = PaymentHold.objects.get(payment=risky)
    assert hold.rule_code == "new_account" and hold.decided_at is None
    added = account.created_at.astimezone(ZoneInfo(biller.time_zone))
    assert hold.reason == (
        f"First debit from ••••6789 (added {added.day} {added:%b}) is $3,000.00, above the $2,500.00 set for new "
        "accounts."
    )
    assert result.payments == 1
    assert PaymentEvent.objects.filter(payment=risky, note="Held for review").count() == 1
    risky.refresh_from_db()
    assert risky.status == PaymentStatus.SCHEDULED
    assert WebhookEvent.objects.filter(type="payment.held").count() == 0  # nobody listens: nothing recorded

    payment_hold_decide(hold=hold, actor=owner, decision="approved", reason="Called the customer")
    day = next_banking_day(risky.pay_on)
    Payment.objects.filter(pk=risky.pk).update(pay_on=day)
    export(biller=biller, effective_date=day)
    assert risky.pk in sent_ids()  # approved: not held again, though still a first debit above the amount
    assert PaymentHold.objects.filter(payment=risky).count() == 1


def test_the_hold_moves_to_the_next_banking_day_at_the_cut_off(acme, export):  # noqa: F811
    biller, _ = acme
    # A morning before the cut-off: the soonest Pay On is then the next banking day, the cut-off's file.
    # (After the cut-off it is the day after, which the export below would not be the cut-off of.)
    morning = datetime.combine(next_banking_day(timezone.localdate()), time(10), ZoneInfo(biller.time_zone))
    with time_machine.travel(morning, tick=False):
        customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
        risky = pay(biller, user, account, [make_invoice(customer, amount_cents=300_000)])
        day = risky.pay_on
        assert day == next_banking_day(morning.date())
        assert export(biller=biller).file is None  # the cut-off's own file: nothing else was due
    risky.refresh_from_db()
    assert risky.status == PaymentStatus.SCHEDULED and risky.pay_on == next_banking_day(day)
    assert PaymentHold.objects.filter(payment=risky, decided_at__isnull=True).count() == 1


def test_a_first_debit_is_only_the_first(acme, export):  # noqa: F811
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    invoice = make_invoice(customer, amount_cents=1000)
    earlier = ach_payment_rows(customer, [(invoice, 1000)], pay_on=timezone.localdate())
    Payment.objects.filter(pk=earlier.pk).update(status=PaymentStatus.SETTLED)
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=300_000)])
    export(biller=biller, effective_date=payment.pay_on)
    assert payment.pk in sent_ids()


def test_the_amount_for_new_accounts_is_the_billers(acme, export):  # noqa: F811
    biller, owner = acme
    only(biller, owner, new_account_on=True, new_account_above_cents=99_999)
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=100_000)])
    export(biller=biller, effective_date=payment.pay_on)
    assert PaymentHold.objects.get(payment=payment).rule_code == "new_account"


def autopay_on(customer, user, account):
    autopay_save(
        customer=customer,
        actor=user,
        enabled=True,
        max_cents=100_000,
        bank_account_id=account.pk,
        days=0,
        when="before",
    )


def autopay_payment(biller, customer, user, account):
    autopay_on(customer, user, account)
    invoice = make_invoice(customer, amount_cents=3000, issue_date=timezone.localdate() - timedelta(days=60))
    return Payment.objects.get(allocations__invoice=invoice)


@pytest.mark.parametrize(("days_before", "held"), [(7, True), (8, False)])
def test_an_auto_pay_account_switched_within_the_days_set_is_held(acme, export, days_before, held):  # noqa: F811
    biller, _ = acme
    customer, user, old = payer(biller, "Jo Smith", personal=True, number="55501234")
    new = make_bank_account(user, number="55509876")
    age(old, new)
    autopay_on(customer, user, old)
    payment = autopay_payment(biller, customer, user, new)  # Auto Pay switched from the old account to the new
    zone = ZoneInfo(biller.time_zone)
    switched = datetime.combine(payment.pay_on - timedelta(days=days_before), time(12), zone)
    AutoPayChange.objects.filter(after__bank_account_id=new.pk).update(created_at=switched)
    export(biller=biller, effective_date=payment.pay_on)
    assert PaymentHold.objects.filter(payment=payment, rule_code="account_change").exists() == held
    assert (payment.pk in sent_ids()) != held


def test_an_auto_pay_debit_from_an_account_just_added_is_held_but_not_one_long_standing(acme, export):  # noqa: F811
    biller, _ = acme
    customer, user, account = payer(biller, "Jo Smith", personal=True, number="55501234")
    payment = autopay_payment(biller, customer, user, account)
    other, other_user, kept = payer(biller, "Al Jones", personal=True, number="55504321")
    age(kept)
    steady = autopay_payment(biller, other, other_user, kept)
    assert steady.pay_on == payment.pay_on
    export(biller=biller, effective_date=payment.pay_on)
    hold = PaymentHold.objects.get(payment=payment)
    assert hold.rule_code == "account_change" and "Auto Pay's account became ••••1234" in hold.reason
    assert sent_ids() == {steady.pk}


def settled_history(customer, amounts):
    day = timezone.localdate() - timedelta(days=200)
    for n, cents in enumerate(amounts):
        made = ach_payment_rows(customer, [(make_invoice(customer, amount_cents=cents), cents)], pay_on=day)
        Payment.objects.filter(pk=made.pk).update(status=PaymentStatus.SETTLED, pay_on=day + timedelta(days=n))


@pytest.mark.parametrize(("amount", "history", "held"), [(30_001, 3, True), (30_000, 3, False), (90_000, 2, False)])
def test_a_payment_far_above_the_usual_is_held(acme, export, amount, history, held):  # noqa: F811
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    age(account)
    settled_history(customer, [8_000, 10_000, 12_000][:history])  # median $100.00 (of three)
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=amount)])
    export(biller=biller, effective_date=payment.pay_on)
    hold = PaymentHold.objects.filter(payment=payment).first()
    assert (hold is not None) == held
    if hold:
        assert hold.rule_code == "unusual_amount"
        assert hold.reason == (
            "$300.01 is more than 3× the customer's usual $100.00 (the median of its last 3 settled payments)."
        )


def test_only_the_last_twelve_settled_payments_make_the_usual(acme, export):  # noqa: F811
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    age(account)
    settled_history(customer, [1_000_000] * 5 + [10_000] * 12)  # the large ones are older
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=30_001)])
    export(biller=biller, effective_date=payment.pay_on)
    assert PaymentHold.objects.get(payment=payment).rule_code == "unusual_amount"


@pytest.mark.parametrize(("accounts", "held"), [(3, True), (2, False)])
def test_many_accounts_added_in_a_day_hold_their_payments(acme, export, accounts, held):  # noqa: F811
    biller, owner = acme
    only(biller, owner, many_accounts_on=True)
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    for n in range(accounts - 1):
        make_bank_account(user, number=f"7770000{n}")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=5000)])
    export(biller=biller, effective_date=payment.pay_on)
    hold = PaymentHold.objects.filter(payment=payment).first()
    assert (hold is not None) == held
    if hold:
        assert hold.reason == (
            "••••6789 is one of 3 bank accounts the customer added within 24 hours (3 or more are held)."
        )


def test_accounts_added_days_apart_are_not_many_in_a_day(acme, export):  # noqa: F811
    biller, owner = acme
    only(biller, owner, many_accounts_on=True)
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    second, third = make_bank_account(user, number="77700001"), make_bank_account(user, number="77700002")
    BankAccount.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(hours=25))
    BankAccount.objects.filter(pk=third.pk).update(created_at=timezone.now() - timedelta(hours=50))
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=5000)])
    export(biller=biller, effective_date=payment.pay_on)
    assert payment.pk in sent_ids()


@pytest.mark.parametrize(("customers", "held"), [(2, True), (1, False)])
def test_one_account_at_several_customers_holds_their_payments(acme, export, customers, held):  # noqa: F811
    biller, owner = acme
    only(biller, owner, shared_account_on=True)
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    if customers == 2:
        payer(biller, "Initech", personal=False, number="123456789")
    else:
        payer(biller, "Initech", personal=False, number="987654321")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=5000)])
    export(biller=biller, effective_date=payment.pay_on)
    hold = PaymentHold.objects.filter(payment=payment).first()
    assert (hold is not None) == held
    if hold:
        assert hold.reason == "••••6789 is in use at 2 of your customers (2 or more are held)."


def test_a_removed_account_is_not_shared(acme, export):  # noqa: F811
    biller, owner = acme
    only(biller, owner, shared_account_on=True)
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    _, _, theirs = payer(biller, "Initech", personal=False, number="123456789")
    BankAccount.objects.filter(pk=theirs.pk).update(status="removed", removed_at=timezone.now())
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=5000)])
    export(biller=biller, effective_date=payment.pay_on)
    assert payment.pk in sent_ids()


def test_one_hold_for_several_rules_with_every_reason(acme, export):  # noqa: F811
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payer(biller, "Initech", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=300_000)])
    export(biller=biller, effective_date=payment.pay_on)
    hold = PaymentHold.objects.get(payment=payment)
    assert hold.rule_code == "new_account,shared_account"
    assert "First debit from ••••6789" in hold.reason and "in use at 2 of your customers" in hold.reason


def test_rules_switched_off_hold_nothing(acme, export):  # noqa: F811
    biller, owner = acme
    only(biller, owner)
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payer(biller, "Initech", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=300_000)])
    export(biller=biller, effective_date=payment.pay_on)
    assert payment.pk in sent_ids()
    assert not PaymentHold.objects.exists()


def test_another_billers_customers_do_not_share_an_account_with_ours(acme, export):  # noqa: F811
    from remit.ach.actions import ach_settings_save
    from remit.ach.tests.test_export import ach_fields
    from remit.test import make_biller

    biller, owner = acme
    only(biller, owner, shared_account_on=True)
    other, other_owner = make_biller("Globex Supply")
    ach_settings_save(biller=other, actor=other_owner, fields=ach_fields())
    payer(other, "Initech", personal=False, number="123456789")
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=5000)])
    export(biller=biller, effective_date=payment.pay_on)
    assert payment.pk in sent_ids()


def test_accounts_added_together_long_ago_hold_nothing_now(acme, export):  # noqa: F811
    biller, owner = acme
    only(biller, owner, many_accounts_on=True)
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    others = [make_bank_account(user, number=f"7770000{n}") for n in range(2)]
    age(account, *others)  # all three added within a minute of each other, 90 days ago
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=5000)])
    export(biller=biller, effective_date=payment.pay_on)
    assert payment.pk in sent_ids()


def test_many_customers_changing_auto_pay_are_read_a_slice_at_a_time(acme, export, monkeypatch):  # noqa: F811
    from remit.ach import risk_holds

    monkeypatch.setattr(risk_holds, "IDS_PER_STATEMENT", 1)
    biller, _ = acme
    payments = []
    for n, name in enumerate(("Jo Smith", "Al Jones")):
        customer, user, old = payer(biller, name, personal=True, number=f"5550123{n}")
        new = make_bank_account(user, number=f"5559876{n}")
        age(old, new)
        autopay_on(customer, user, old)
        payments.append(autopay_payment(biller, customer, user, new))
    export(biller=biller, effective_date=payments[0].pay_on)
    assert set(PaymentHold.objects.values_list("payment_id", flat=True)) == {p.pk for p in payments}


def test_a_risk_hold_is_a_payment_held_webhook_with_the_hold(acme, export):  # noqa: F811
    from remit.webhooks.endpoints import webhook_endpoint_create

    biller, owner = acme
    webhook_endpoint_create(biller=biller, actor=owner, url="https://hooks.example.com/remit", events=["payment.held"])
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    risky = [pay(biller, user, account, [make_invoice(customer, amount_cents=c)]) for c in (300_000, 400_000)]
    export(biller=biller, effective_date=risky[0].pay_on)
    events = {e.payload["id"]: e.payload for e in WebhookEvent.objects.filter(type="payment.held")}
    assert set(events) == {p.pk for p in risky}
    hold = PaymentHold.objects.get(payment=risky[1])
    assert events[risky[1].pk]["hold"]["id"] == hold.pk
    assert events[risky[1].pk]["hold"]["rule_code"] == "new_account"
    assert events[risky[1].pk]["hold"]["reason"].endswith("is $4,000.00, above the $2,500.00 set for new accounts.")
