"""The Auto Pay pages: the gear menu's label, the form's bad input, who may change it, the skip link."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from django.test import Client

from remit.autopay.links import skip_token
from remit.autopay.models import AutoPay, AutoPayChange, AutoPayClaim
from remit.autopay.settings import autopay_save
from remit.payments.models import BankAccount, PaymentStatus
from remit.test import make_biller, parts, portal_login

pytestmark = pytest.mark.django_db


class Accounts(NamedTuple):
    checking: BankAccount  # Globex's shared checking account ••••6789, added by its admin
    savings: BankAccount  # and its shared savings account ••••5556


@pytest.fixture
def accounts(world):
    """Globex's two shared bank accounts, added by its admin: Auto Pay pays from either."""
    return Accounts(
        checking=world.bank_account(number="123456789"),
        savings=world.bank_account(account_type="savings", number="444455556"),
    )


@pytest.fixture
def admin_client(world, accounts):
    """A client signed in to the portal as Globex's admin, who has the two accounts to choose from."""
    client = Client()
    portal_login(client, world.admin)
    return client


def form(accounts, **changes):
    data = {"enabled": "on", "max_amount": "5000", "bank_account": accounts.checking.pk, "days": "2", "when": "before"}
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


def test_the_gear_menu_says_whether_auto_pay_is_on(admin_client, accounts):
    client = admin_client
    assert "Auto Pay is off" in client.get("/acme-supply/").content.decode()
    response = client.post("/acme-supply/autopay/edit/", form(accounts))
    assert response.status_code == 302 and response["Location"] == "/acme-supply/autopay/"
    page = client.get("/acme-supply/").content.decode()
    assert "Auto Pay is on" in page and "Auto Pay is off" not in page


def test_saving_records_the_change_and_confirms_by_email(world, accounts, admin_client, mailbox, run_on_commit):
    with run_on_commit(execute=True):
        admin_client.post("/acme-supply/autopay/edit/", form(accounts))
    change = AutoPayChange.objects.get()
    assert change.actor == world.admin and change.before["enabled"] is False
    assert change.after == {
        "enabled": True,
        "max_cents": 500000,
        "bank_account": "Checking ••••6789",
        "bank_account_id": accounts.checking.pk,
        "days": 2,
        "when": "before",
    }
    confirmation = [m for m in mailbox() if m["Subject"].startswith("Auto Pay is on")]
    assert len(confirmation) == 1
    text = parts(confirmation[0])["text/plain"]
    assert "$5,000.00 per invoice" in text and "2 business days before the due date" in text
    assert "ap@globex.example" in text and "123456789" not in text
    page = admin_client.get("/acme-supply/autopay/").content.decode()
    assert "Auto Pay is on" in page and "$5,000.00 per invoice" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"max_amount": "0"}, "max_amount", "must be more than $0.00"),
        ({"max_amount": "-5"}, "max_amount", "not negative"),
        ({"max_amount": "12.345"}, "max_amount", "more than two decimals"),
        ({"max_amount": ""}, "max_amount", "Enter the Maximum Payment Amount"),
        ({"days": "31"}, "days", "from 0 to 30"),
        ({"days": "-1"}, "days", "from 0 to 30"),
        ({"days": "two"}, "days", "whole number"),
        ({"bank_account": "999999"}, "bank_account", "valid choice"),
        ({"bank_account": ""}, "bank_account", "Select the Bank Account"),
        ({"when": "sometime"}, "when", "valid choice"),
    ],
)
def test_bad_input_is_refused_at_its_field_and_changes_nothing(accounts, admin_client, changes, field, message):
    response = admin_client.post("/acme-supply/autopay/edit/", form(accounts, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert not AutoPay.objects.exists() and not AutoPayChange.objects.exists()


def test_a_colleagues_private_account_is_refused_even_posted_directly(world, accounts, admin_client):
    private = world.bank_account(world.member, private=True, number="77778888")
    response = admin_client.post("/acme-supply/autopay/edit/", form(accounts, bank_account=private.pk))
    assert response.status_code == 200 and "bank_account" in response.context["form"].errors
    assert "7777" not in response.content.decode().replace("77778888", "")  # not offered either
    assert not AutoPay.objects.exists()


def test_another_admin_may_keep_a_colleagues_private_account_or_switch_to_their_own(world, accounts, admin_client):
    colleague = world.colleague("ophelia@globex.example")
    private = world.bank_account(colleague, private=True, number="99998642", holder_name="Zebulon Vantablack")
    autopay_save(
        customer=world.customer, actor=colleague, enabled=True, max_cents=100000,
        bank_account_id=private.pk, days=2, when="before",
    )  # fmt: skip
    client = admin_client
    page = client.get("/acme-supply/autopay/edit/").content.decode()
    assert f'<option value="{private.pk}" selected>Keep a private account of ophelia@globex.example</option>' in page
    assert f'<option value="{accounts.savings.pk}">' in page
    assert "8642" not in page and "Zebulon" not in page
    response = client.post("/acme-supply/autopay/edit/", form(accounts, bank_account=private.pk, max_amount="2000"))
    assert response.status_code == 302
    assert (AutoPay.objects.get().bank_account_id, AutoPay.objects.get().max_cents) == (private.pk, 200000)
    response = client.post("/acme-supply/autopay/edit/", form(accounts, bank_account=accounts.savings.pk))
    assert response.status_code == 302 and AutoPay.objects.get().bank_account_id == accounts.savings.pk
    page = client.get("/acme-supply/autopay/edit/").content.decode()
    assert "Keep" not in page and f'<option value="{private.pk}"' not in page  # never offered back


def turn_on(world, accounts, *, max_cents=100000, days=0):
    """Globex's admin turns Auto Pay on, paying from the checking account."""
    autopay_save(
        customer=world.customer, actor=world.admin, enabled=True, max_cents=max_cents,
        bank_account_id=accounts.checking.pk, days=days, when="before",
    )  # fmt: skip


def test_a_member_sees_the_state_but_cannot_change_it(world, accounts):
    world.invoice(amount_cents=10000)
    turn_on(world, accounts)
    client = Client()
    portal_login(client, world.member)
    page = client.get("/acme-supply/autopay/").content.decode()
    assert "Auto Pay is on" in page and "Only an admin" in page and 'aria-label="Edit"' not in page
    assert "Skip this payment" not in page
    assert client.get("/acme-supply/autopay/edit/").status_code == 403
    response = client.post("/acme-supply/autopay/edit/", form(accounts, enabled=None))
    assert response.status_code == 403 and "Nothing was changed" in response.content.decode()
    payment = AutoPayClaim.objects.get().payment
    assert client.post(f"/acme-supply/autopay/payments/{payment.pk}/skip").status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SCHEDULED
    assert AutoPay.objects.get().enabled and AutoPayChange.objects.count() == 1


def test_one_usable_account_is_not_asked_for(world, accounts, admin_client):
    from remit.customers.models import CustomerMembership
    from remit.payments.bank_accounts import bank_account_remove

    membership = CustomerMembership.objects.get(user=world.admin)
    bank_account_remove(membership=membership, bank_account=accounts.savings, actor=world.admin)
    page = admin_client.get("/acme-supply/autopay/edit/").content.decode()
    assert 'name="bank_account"' not in page and "Checking ••••6789" in page
    response = admin_client.post("/acme-supply/autopay/edit/", form(accounts, bank_account=None))
    assert response.status_code == 302
    assert AutoPay.objects.get().bank_account_id == accounts.checking.pk


def test_the_skip_link_asks_then_skips_only_its_own_payment(world, accounts):
    world.invoice(amount_cents=10000)
    turn_on(world, accounts)
    payment = AutoPayClaim.objects.get().payment
    url = f"/acme-supply/autopay/skip/{skip_token(payment)}/"
    anyone = Client()
    page = anyone.get(url)
    assert page.status_code == 200 and "Skip this Auto Pay payment?" in page.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SCHEDULED  # a GET (a mail scanner) changes nothing
    assert anyone.get(url[:-5] + "xxxx/").status_code == 404  # tampered
    other, _ = make_biller("Umbrella Corp")
    assert anyone.get(f"/{other.slug}/autopay/skip/{skip_token(payment)}/").status_code == 404
    done = anyone.post(url)
    assert "Payment skipped" in done.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    again = anyone.post(url).content.decode()
    assert "can no longer be skipped" in again or "only a scheduled payment" in again


def test_the_biller_sees_the_customers_auto_pay_on_the_customer_page(world, accounts, client):
    turn_on(world, accounts, max_cents=500000, days=2)
    client.force_login(world.owner)
    page = client.get(f"/console/{world.biller.slug}/customers/{world.customer.pk}/").content.decode()
    assert "On: up to $5,000.00 per invoice, 2 business days before the due date, from Checking ••••6789" in page


def test_home_says_what_is_left_to_pay_by_hand_above_the_maximum(world, accounts, admin_client):
    world.invoice(amount_cents=785000, number="INV-BIG")
    turn_on(world, accounts, max_cents=500000, days=2)
    page = admin_client.get("/acme-supply/").content.decode()
    assert "Invoice INV-BIG is above your Auto Pay maximum: Auto Pay pays $5,000.00" in page
    assert "Pay the remaining $2,850.00 by hand." in page
