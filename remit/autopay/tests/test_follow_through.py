"""Changes around Auto Pay follow through: its bank account removed, the colleague whose private
account it pays from removed — Auto Pay turns off, its payments are withdrawn, the admins are told."""

from __future__ import annotations

import pytest

from remit.autopay.models import AutoPay, AutoPayChange, AutoPayClaim
from remit.autopay.settings import autopay_save
from remit.customers import access
from remit.customers.models import CustomerMembership
from remit.payments.bank_accounts import bank_account_remove
from remit.payments.models import BankAccountStatus, PaymentStatus
from remit.test import make_bank_account, parts

pytestmark = pytest.mark.django_db


def turn_on(world, actor, account):
    autopay_save(
        customer=world.customer,
        actor=actor,
        enabled=True,
        max_cents=100000,
        bank_account_id=account.pk,
        days=1,
        when="before",
    )


def test_removing_the_auto_pay_account_turns_it_off_and_tells_the_admins(world, mailbox, run_on_commit):
    account = world.bank_account(number="123456789")
    world.invoice(amount_cents=10000)
    turn_on(world, world.admin, account)
    payment = AutoPayClaim.objects.get().payment
    membership = CustomerMembership.objects.get(user=world.admin)
    with run_on_commit(execute=True):
        bank_account_remove(membership=membership, bank_account=account, actor=world.admin)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert not AutoPay.objects.get().enabled
    change = AutoPayChange.objects.first()
    assert change is not None and "removed the bank account" in change.reason
    notices = [m for m in mailbox() if m["Subject"].startswith("Auto Pay was turned off")]
    assert len(notices) == 1 and "New invoices will not be paid automatically" in parts(notices[0])["text/plain"]
    # A new invoice now waits for someone to pay it.
    assert not AutoPayClaim.objects.exists()  # withdrawn: once back on, Auto Pay may pay it again
    world.invoice(amount_cents=5000)
    assert not AutoPayClaim.objects.exists()


def test_removing_the_colleague_whose_private_account_it_is_turns_it_off(world, mailbox, run_on_commit):
    colleague = world.colleague("controller@globex.example")
    private = make_bank_account(colleague, private=True, number="99990000")
    world.invoice(amount_cents=10000)
    turn_on(world, colleague, private)  # only its owner may choose it
    payment = AutoPayClaim.objects.get().payment
    membership = CustomerMembership.objects.get(user=colleague)
    with run_on_commit(execute=True):
        access.colleague_remove(customer=world.customer, actor=world.admin, membership_id=membership.pk)
    payment.refresh_from_db()
    private.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert private.status == BankAccountStatus.REMOVED
    assert not AutoPay.objects.get().enabled
    notices = [m for m in mailbox() if m["Subject"].startswith("Auto Pay was turned off")]
    assert [m["To"] for m in notices] == ["ap@globex.example"]
    text = parts(notices[0])["text/plain"]
    assert "paid from a private account of controller@globex.example" in text and "lost access" in text
    assert "0000" not in text and "Checking" not in text and "Controller" not in text  # digits, type, holder
    change = AutoPayChange.objects.first()
    assert change is not None and change.reason == "controller@globex.example, whose private account it is, lost access"


def test_the_owner_removing_their_private_auto_pay_account_tells_each_admin_what_they_may_see(
    world, mailbox, run_on_commit
):
    colleague = world.colleague("controller@globex.example")
    private = make_bank_account(colleague, private=True, number="99990000")
    turn_on(world, colleague, private)
    membership = CustomerMembership.objects.get(user=colleague)
    with run_on_commit(execute=True):
        bank_account_remove(membership=membership, bank_account=private, actor=colleague)
    notices = {m["To"]: parts(m)["text/plain"] for m in mailbox() if m["Subject"].startswith("Auto Pay was turned")}
    assert set(notices) == {"ap@globex.example", "controller@globex.example"}
    assert "Controller, Checking ••••0000" in notices["controller@globex.example"]
    others = notices["ap@globex.example"]
    assert "a private account of controller@globex.example" in others and "0000" not in others
    assert "controller@globex.example removed the bank account, so Auto Pay is now off" in others


def test_removing_another_account_leaves_auto_pay_alone(world):
    account = world.bank_account(number="123456789")
    other = world.bank_account(account_type="savings", number="22223333")
    world.invoice(amount_cents=10000)
    turn_on(world, world.admin, account)
    membership = CustomerMembership.objects.get(user=world.admin)
    bank_account_remove(membership=membership, bank_account=other, actor=world.admin)
    assert AutoPay.objects.get().enabled
    assert AutoPayClaim.objects.get().payment.status == PaymentStatus.SCHEDULED
