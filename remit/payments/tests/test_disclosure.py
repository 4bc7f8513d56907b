"""How a bank account is described to each reader: its owner and the biller see its masked details,
a colleague sees a private account only as whose it is; emails are rendered once per way of seeing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template, VariableDoesNotExist

from remit.payments.disclosure import describe_account, email_people, shows_details
from remit.test import make_bank_account, make_biller, make_customer, make_portal_user, parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex():
    acme, _ = make_biller("Acme Supply Co.")
    customer = make_customer(acme, "Globex Corporation", email="ophelia@globex.example")
    owner = make_portal_user(customer)
    admin = make_portal_user(customer, email="bea@globex.example", role="admin")
    member = make_portal_user(customer, email="max@globex.example", role="member")
    private = make_bank_account(
        owner, private=True, account_type="savings", number="5550008642", holder_name="Zebulon Vantablack"
    )
    shared = make_bank_account(admin, number="123456789", holder_name="Globex Ops")
    return {"acme": acme, "owner": owner, "admin": admin, "member": member, "private": private, "shared": shared}


def test_the_owner_sees_their_private_account(globex):
    owner, private = globex["owner"], globex["private"]
    assert shows_details(private, viewer=owner)
    assert describe_account(private, viewer=owner) == "Zebulon Vantablack, Savings ••••8642"
    assert describe_account(private, viewer=owner, short=True) == "Savings ••••8642"


@pytest.mark.parametrize("who", ["admin", "member"])
def test_a_colleague_sees_a_private_account_only_as_whose_it_is(globex, who):
    private = globex["private"]
    for short in (False, True):
        said = describe_account(private, viewer=globex[who], short=short)
        assert said == "a private account of ophelia@globex.example"


def test_the_owner_is_named_by_their_name_when_they_have_one(globex):
    globex["owner"].full_name = "Ophelia Quartermaine"
    globex["owner"].save()
    private = type(globex["private"]).objects.get(pk=globex["private"].pk)
    assert describe_account(private, viewer=globex["admin"]) == "a private account of Ophelia Quartermaine"


def test_someone_not_signed_in_sees_a_private_account_as_a_colleague_does(globex):
    assert describe_account(globex["private"], viewer=AnonymousUser()).startswith("a private account of ")


def test_a_shared_account_is_described_alike_to_everyone(globex):
    shared = globex["shared"]
    for who in ("owner", "admin", "member"):
        assert describe_account(shared, viewer=globex[who]) == "Globex Ops, Checking ••••6789"
    assert describe_account(shared, viewer=AnonymousUser(), short=True) == "Checking ••••6789"


def test_the_biller_sees_the_masked_details_of_a_private_account(globex):
    assert describe_account(globex["private"], viewer=None) == "Zebulon Vantablack, Savings ••••8642"


def test_the_template_filters_fail_closed_without_a_viewer(globex):
    template = Template(
        "{% load bank_accounts %}[{{ account|account_for:viewer }}|{{ account|account_label_for:viewer }}|"
        "{{ account|account_for_biller }}]"
    )
    private = globex["private"]
    mine = template.render(Context({"account": private, "viewer": globex["owner"]}))
    assert mine == "[Zebulon Vantablack, Savings ••••8642|Savings ••••8642|Zebulon Vantablack, Savings ••••8642]"
    for nobody in ("", None, AnonymousUser()):
        shown = template.render(Context({"account": private, "viewer": nobody}))
        assert shown.startswith("[a private account of ophelia@globex.example|a private account of ophelia@"), nobody
    with pytest.raises(VariableDoesNotExist):  # a template that forgot its viewer is an error, never a leak
        template.render(Context({"account": private}))


def test_an_email_about_a_private_account_is_one_message_for_its_owner_and_one_for_the_others(
    globex, mailbox, run_on_commit
):
    people = [globex["owner"], globex["admin"], globex["member"], globex["admin"]]
    with run_on_commit(execute=True):
        email_people(
            people=people,
            accounts=[globex["private"]],
            template="payment_moved",
            biller=globex["acme"],
            context={"payment": _payment_like(), "account": globex["private"], "payments_url": "https://x.example/"},
        )
    by_recipients = {message["To"]: parts(message)["text/plain"] for message in mailbox()}
    assert set(by_recipients) == {"ophelia@globex.example", "bea@globex.example, max@globex.example"}
    assert "Savings ••••8642" in by_recipients["ophelia@globex.example"]
    others = by_recipients["bea@globex.example, max@globex.example"]
    assert "a private account of ophelia@globex.example" in others and "8642" not in others


def test_an_email_about_a_shared_account_is_one_message_for_everyone(globex, mailbox, run_on_commit):
    with run_on_commit(execute=True):
        email_people(
            people=[globex["owner"], globex["admin"]],
            accounts=[globex["shared"], None],
            template="payment_moved",
            biller=globex["acme"],
            context={"payment": _payment_like(), "account": globex["shared"], "payments_url": "https://x.example/"},
        )
    [message] = mailbox()
    assert message["To"] == "ophelia@globex.example, bea@globex.example"
    assert "Checking ••••6789" in parts(message)["text/plain"]


def _payment_like():
    from datetime import date

    from remit.payments.models import Payment

    return Payment(amount_cents=25000, pay_on=date(2026, 12, 4))
