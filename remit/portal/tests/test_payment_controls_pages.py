"""The portal under the biller's controls: with ACH or Auto Pay off for this customer, the pages say
so plainly where the button would be, and offer no button or form that could only be refused."""

from __future__ import annotations

import pytest
from django.test import Client

from remit.payments.controls import customer_payment_settings_save
from remit.payments.models import Payment
from remit.test import portal_login, soonest_pay_on

pytestmark = pytest.mark.django_db


def switch_off(world, **changes):
    values = {
        "accept_ach": "inherit",
        "allow_autopay": "inherit",
        "max_per_payment_cents": None,
        "max_per_month_cents": None,
        **changes,
    }
    customer_payment_settings_save(customer=world.customer, actor=world.owner, **values)


@pytest.fixture
def admin_client(world):
    client = Client()
    portal_login(client, world.admin)
    return client


def test_with_ach_on_the_pay_button_is_there(world, admin_client):
    world.invoice(amount_cents=10000)
    assert "Pay Outstanding Bills</a>" in admin_client.get("/acme-supply/").content.decode()


def test_with_ach_off_the_home_invoice_and_pay_pages_say_so_instead_of_a_button(world, admin_client):
    invoice = world.invoice(amount_cents=10000)
    account = world.bank_account()
    switch_off(world, accept_ach="off")
    sentence = "Acme Supply Co. doesn&#x27;t accept ACH payments from this account at the moment."
    home = admin_client.get("/acme-supply/").content.decode()
    assert sentence in home and 'class="button big"' not in home
    page = admin_client.get(f"/acme-supply/invoices/{invoice.pk}/").content.decode()
    assert sentence in page
    pay = admin_client.get("/acme-supply/pay-bills/").content.decode()
    assert sentence in pay and 'id="pay-form"' not in pay
    response = admin_client.post(
        "/acme-supply/pay-bills/",
        {
            "invoices": [invoice.pk],
            "bank_account": account.pk,
            "pay_on": soonest_pay_on(world.biller).isoformat(),
            "total": "100.00",
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 200 and not Payment.objects.exists()


def test_with_auto_pay_off_the_auto_pay_page_says_so_and_offers_no_edit(world, admin_client):
    switch_off(world, allow_autopay="off")
    page = admin_client.get("/acme-supply/autopay/").content.decode()
    assert "Acme Supply Co. doesn&#x27;t offer Auto Pay to this account at the moment." in page
    assert "/acme-supply/autopay/edit/" not in page
    edit = admin_client.get("/acme-supply/autopay/edit/").content.decode()
    assert "doesn&#x27;t offer Auto Pay" in edit and 'name="max_amount"' not in edit


def test_a_held_payment_says_it_waits_for_the_billers_review_without_the_reason(world, admin_client):
    from django.db import transaction

    from remit.payments.actions import payment_schedule
    from remit.payments.holds import payment_hold_place

    invoice = world.invoice(amount_cents=10000)
    payment = payment_schedule(
        payer=world.admin,
        invoice_ids=[invoice.pk],
        bank_account_id=world.bank_account().pk,
        pay_on=soonest_pay_on(world.biller),
        total_cents=10000,
    )
    with transaction.atomic():
        payment_hold_place(payment=payment, rule_code="test_rule", reason="Secret rule: new account")
    page = admin_client.get(f"/acme-supply/payments/{payment.pk}/").content.decode()
    assert "Acme Supply Co. is reviewing this payment before it goes to the bank." in page
    assert "Secret rule" not in page
