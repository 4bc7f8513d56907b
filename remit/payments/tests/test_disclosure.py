"""How a bank account is described to each reader: its owner and the biller see its masked details,
a colleague sees a private account only as whose it is; emails are rendered once per way of seeing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template, VariableDoesNotExist

from remit.payments.disclosure import describe_account, email_people, shows_details
from remit.payments.models import BankAccount
from remit.test import make_bank_account, parts
from remit.users.models import User

pytestmark = pytest.mark.django_db


@dataclass
class Accounts:
    ophelia: User  # another admin of Globex
    private: BankAccount  # Ophelia's
    shared: BankAccount  # added by Globex's admin


@pytest.fixture
def accounts(world):
    """Ophelia, another admin of Globex, keeps a private savings account; Globex's admin added a shared
    checking account. To the admin and the member, Ophelia's account is a colleague's."""
    ophelia = world.colleague("ophelia@globex.example")
    private = make_bank_account(
        ophelia, private=True, account_type="savings", number="5550008642", holder_name="Zebulon Vantablack"
    )
    shared = world.bank_account(number="123456789", holder_name="Globex Ops")
    return Accounts(ophelia, private, shared)


def test_the_owner_sees_their_private_account(accounts):
    ophelia, private = accounts.ophelia, accounts.private
    assert shows_details(private, viewer=ophelia)
    assert describe_account(private, viewer=ophelia) == "Zebulon Vantablack, Savings ••••8642"
    assert describe_account(private, viewer=ophelia, short=True) == "Savings ••••8642"


@pytest.mark.parametrize("who", ["admin", "member"])
def test_a_colleague_sees_a_private_account_only_as_whose_it_is(world, accounts, who):
    for short in (False, True):
        said = describe_account(accounts.private, viewer=getattr(world, who), short=short)
        assert said == "a private account of ophelia@globex.example"


def test_the_owner_is_named_by_their_name_when_they_have_one(world, accounts):
    accounts.ophelia.full_name = "Ophelia Quartermaine"
    accounts.ophelia.save()
    private = type(accounts.private).objects.get(pk=accounts.private.pk)
    assert describe_account(private, viewer=world.admin) == "a private account of Ophelia Quartermaine"


def test_someone_not_signed_in_sees_a_private_account_as_a_colleague_does(accounts):
    assert describe_account(accounts.private, viewer=AnonymousUser()).startswith("a private account of ")


def test_a_shared_account_is_described_alike_to_everyone(world, accounts):
    for viewer in (accounts.ophelia, world.admin, world.member):
        assert describe_account(accounts.shared, viewer=viewer) == "Globex Ops, Checking ••••6789"
    assert describe_account(accounts.shared, viewer=AnonymousUser(), short=True) == "Checking ••••6789"


def test_the_biller_sees_the_masked_details_of_a_private_account(accounts):
    assert describe_account(accounts.private, viewer=None) == "Zebulon Vantablack, Savings ••••8642"


def test_the_template_filters_fail_closed_without_a_viewer(accounts):
    template = Template(
        "{% load bank_accounts %}[{{ account|account_for:viewer }}|{{ account|account_label_for:viewer }}|"
        "{{ account|account_for_biller }}]"
    )
    private = accounts.private
    mine = template.render(Context({"account": private, "viewer": accounts.ophelia}))
    assert mine == "[Zebulon Vantablack, Savings ••••8642|Savings ••••8642|Zebulon Vantablack, Savings ••••8642]"
    for nobody in ("", None, AnonymousUser()):
        shown = template.render(Context({"account": private, "viewer": nobody}))
        assert shown.startswith("[a private account of ophelia@globex.example|a private account of ophelia@"), nobody
    with pytest.raises(VariableDoesNotExist):  # a template that forgot its viewer is an error, never a leak
        template.render(Context({"account": private}))


def test_an_email_about_a_private_account_is_one_message_for_its_owner_and_one_for_the_others(
    world, accounts, mailbox, run_on_commit
):
    people = [accounts.ophelia, world.admin, world.member, world.admin]
    with run_on_commit(execute=True):
        email_people(
            people=people,
            accounts=[accounts.private],
            template="payment_moved",
            biller=world.biller,
            context={"payment": _payment_like(), "account": accounts.private, "payments_url": "https://x.example/"},
        )
    by_recipients = {message["To"]: parts(message)["text/plain"] for message in mailbox()}
    assert set(by_recipients) == {"ophelia@globex.example", "ap@globex.example, clerk@globex.example"}
    assert "Savings ••••8642" in by_recipients["ophelia@globex.example"]
    others = by_recipients["ap@globex.example, clerk@globex.example"]
    assert "a private account of ophelia@globex.example" in others and "8642" not in others


def test_an_email_about_a_shared_account_is_one_message_for_everyone(world, accounts, mailbox, run_on_commit):
    with run_on_commit(execute=True):
        email_people(
            people=[accounts.ophelia, world.admin],
            accounts=[accounts.shared, None],
            template="payment_moved",
            biller=world.biller,
            context={"payment": _payment_like(), "account": accounts.shared, "payments_url": "https://x.example/"},
        )
    [message] = mailbox()
    assert message["To"] == "ophelia@globex.example, ap@globex.example"
    assert "Checking ••••6789" in parts(message)["text/plain"]


def _payment_like():
    from datetime import date

    from remit.payments.models import Payment

    return Payment(amount_cents=25000, pay_on=date(2026, 12, 4))
