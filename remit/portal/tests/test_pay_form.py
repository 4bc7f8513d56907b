"""Pay Outstanding Bills' form (help article, steps 8–10) without a browser: what it refuses."""

from __future__ import annotations

import uuid

import pytest

from remit.payments.models import Payment
from remit.test import portal_login, soonest_pay_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def bill(world, client):
    """An open invoice of Globex's and the bank account to pay it from; the client is Globex's admin."""
    portal_login(client, world.admin)
    return world.invoice(), world.bank_account()


@pytest.mark.parametrize("total", ["٥", "٥٠.٠٠", "５", "1٠"])
def test_a_total_payment_in_other_digits_than_0_to_9_is_refused_and_nothing_is_scheduled(world, client, bill, total):
    invoice, account = bill
    response = client.post(
        "/acme-supply/pay-bills/",
        {
            "invoices": [invoice.pk],
            "bank_account": account.pk,
            "pay_on": soonest_pay_on(world.biller).isoformat(),
            "total": total,
            "idempotency_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 200
    assert f"“{total}” is not an amount." in response.content.decode()
    assert not Payment.objects.exists()
