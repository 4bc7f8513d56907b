"""Which Auto Pay emails a person may stop: only the advance notice of a Business account's payments.
A Personal account's advance notice is the notice of a varying debit the law requires, and the emails
that Auto Pay was changed, turned off or a payment skipped are about the account's money: they go."""

from __future__ import annotations

import pytest

from remit.autopay.engine import autopay_skip
from remit.autopay.settings import autopay_save
from remit.customers.models import AccountType
from remit.notifications.models import OptOutHow
from remit.notifications.preferences import email_opt_out
from remit.payments.models import Payment
from remit.test import parts

pytestmark = pytest.mark.django_db

NOTICE = "Auto Pay will pay"


@pytest.fixture
def admins(world):
    """Globex's two admins; the first stops Auto Pay notices (every kind of email it may stop, in fact)."""
    world.colleague("controller@globex.example")
    for category in ("autopay", "reminders", "statements"):
        email_opt_out(biller=world.biller, address="ap@globex.example", category=category, how=OptOutHow.PREFERENCES)
    return ["ap@globex.example", "controller@globex.example"]


def _turn_on(world, run_on_commit):
    account = world.bank_account(number="123456789")
    world.invoice(amount_cents=120000, number="INV-A")
    with run_on_commit(execute=True):
        autopay_save(
            customer=world.customer,
            actor=world.admin,
            enabled=True,
            max_cents=500000,
            bank_account_id=account.pk,
            days=2,
            when="before",
        )


def _received(mailbox, subject):
    return [m for m in mailbox() if str(m["Subject"]).startswith(subject)]


def _recipients(messages):
    return sorted(address.addr_spec for m in messages for address in m["To"].addresses)


def test_a_business_accounts_advance_notice_skips_an_admin_who_opted_out(world, admins, mailbox, run_on_commit):
    _turn_on(world, run_on_commit)
    [notice] = _received(mailbox, NOTICE)
    assert _recipients([notice]) == ["controller@globex.example"]
    assert str(notice["List-Unsubscribe"]).startswith("<http") and notice["List-Unsubscribe-Post"]
    assert "Don't want emails like this (Auto Pay notices)" in parts(notice)["text/plain"]


def test_a_personal_accounts_advance_notice_goes_to_everyone_without_an_unsubscribe(
    world, admins, mailbox, run_on_commit
):
    world.customer.account_type = AccountType.PERSONAL
    world.customer.save(update_fields=["account_type"])
    _turn_on(world, run_on_commit)
    notices = _received(mailbox, NOTICE)
    assert _recipients(notices) == admins
    for notice in notices:
        assert notice["List-Unsubscribe"] is None and "Unsubscribe" not in parts(notice)["text/plain"]


def test_auto_pay_changed_and_skipped_ignore_opt_outs(world, admins, mailbox, run_on_commit):
    _turn_on(world, run_on_commit)
    assert "ap@globex.example" in _recipients(_received(mailbox, "Auto Pay is on"))
    payment = Payment.objects.get(customer=world.customer, is_autopay=True)
    with run_on_commit(execute=True):
        autopay_skip(payment=payment, actor=world.admin)
    skipped = _received(mailbox, "Auto Pay payment of")
    assert "ap@globex.example" in _recipients(skipped)
    assert all(m["List-Unsubscribe"] is None for m in skipped)
