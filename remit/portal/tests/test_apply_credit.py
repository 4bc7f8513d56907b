"""Pay Outstanding Bills' **Apply credit**, without a browser: the credit pays the selected invoices
first (oldest due first), the Total Payment the rest, and nothing is debited when credit covers all."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from remit.invoices.models import Invoice
from remit.payments.credits import credit_available_cents, credit_issue
from remit.payments.models import CreditApplication, Payment
from remit.test import portal_login, soonest_pay_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def bills(world, client):
    """Two open invoices of Globex's (the older due first), its bank account, and $30 of account
    credit; the client is Globex's admin."""
    portal_login(client, world.admin)
    older = world.invoice(amount_cents=2000, issue_date=world.biller.created_at.date() - timedelta(days=5))
    newer = world.invoice(amount_cents=5000)
    credit_issue(biller=world.biller, customer=world.customer, amount_cents=3000, reason="Goodwill", actor=world.owner)
    return older, newer, world.bank_account()


def post(world, client, invoices, account, total, apply_credit=True):
    data = {
        "invoices": [invoice.pk for invoice in invoices],
        "bank_account": account.pk,
        "pay_on": soonest_pay_on(world.biller).isoformat(),
        "total": total,
        "idempotency_key": uuid.uuid4().hex,
    }
    if apply_credit:
        data["apply_credit"] = "on"
    return client.post("/acme-supply/pay-bills/", data, follow=True)


def test_the_page_offers_apply_credit_with_the_available_credit(world, client, bills):
    page = client.get("/acme-supply/pay-bills/").content.decode()
    assert "Available credit: $30.00" in page
    assert "Apply credit" in page and "Total Payment" in page and ">Pay</button>" in page
    assert page.index("Apply credit") < page.index("Total Payment")


def test_no_credit_no_offer(world, client):
    portal_login(client, world.admin)
    world.invoice()
    page = client.get("/acme-supply/pay-bills/").content.decode()
    assert "Apply credit" not in page and "Total Payment" in page


def test_credit_pays_the_oldest_due_first_and_the_total_payment_the_rest(world, client, bills):
    older, newer, account = bills
    response = post(world, client, [older, newer], account, "40.00")
    page = response.content.decode()
    assert "$30.00 of your credit was applied. Your payment of $40.00 is scheduled" in page
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.credited_cents, older.available_cents) == (2000, 0)
    assert (newer.credited_cents, newer.pending_cents, newer.available_cents) == (1000, 4000, 0)
    payment = Payment.objects.get()
    assert payment.amount_cents == 4000
    assert set(CreditApplication.objects.values_list("applied_by", flat=True)) == {"payer"}
    assert credit_available_cents(world.customer.pk) == 0


def test_when_credit_covers_everything_no_debit_is_scheduled(world, client, bills):
    older, _, account = bills
    page = post(world, client, [older], account, "0").content.decode()
    assert "$20.00 of your credit was applied. Your credit pays the selected invoices" in page
    assert not Payment.objects.exists()
    older.refresh_from_db()
    assert older.status == "paid"
    assert credit_available_cents(world.customer.pk) == 1000


def test_a_total_payment_above_what_the_credit_leaves_is_refused_and_no_credit_is_applied(world, client, bills):
    older, newer, account = bills
    response = post(world, client, [older, newer], account, "40.01")
    assert response.status_code == 200
    assert "The Total Payment can&#x27;t be more than $40.00" in response.content.decode()
    assert not Payment.objects.exists() and not CreditApplication.objects.exists()
    assert set(Invoice.objects.values_list("credited_cents", flat=True)) == {0}


def test_without_apply_credit_a_zero_total_is_refused_and_the_credit_is_kept(world, client, bills):
    older, _, account = bills
    response = post(world, client, [older], account, "0", apply_credit=False)
    assert "The Total Payment must be more than $0.00." in response.content.decode()
    assert not CreditApplication.objects.exists()
    post(world, client, [older], account, "20.00", apply_credit=False)
    assert Payment.objects.get().amount_cents == 2000
    assert credit_available_cents(world.customer.pk) == 3000


def test_the_same_form_sent_twice_applies_the_credit_once(world, client, bills):
    older, newer, account = bills
    data = {
        "invoices": [older.pk, newer.pk],
        "bank_account": account.pk,
        "pay_on": soonest_pay_on(world.biller).isoformat(),
        "total": "40.00",
        "idempotency_key": uuid.uuid4().hex,
        "apply_credit": "on",
    }
    client.post("/acme-supply/pay-bills/", data)
    client.post("/acme-supply/pay-bills/", data)
    assert Payment.objects.count() == 1 and CreditApplication.objects.count() == 2


def test_another_customers_credit_is_not_offered(world, client, bills):
    portal_login(client, world.outsider)
    from remit.test import make_invoice

    make_invoice(world.other_customer)
    page = client.get("/acme-supply/pay-bills/").content.decode()
    assert "Available credit" not in page and "Apply credit" not in page
