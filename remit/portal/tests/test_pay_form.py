"""Pay Outstanding Bills' form (help article, steps 8–10) without a browser: what it refuses."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from remit.payments.models import Payment
from remit.test import (
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    portal_login,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex():
    acme, _ = make_biller("Acme Supply Co.")
    customer = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    admin = make_portal_user(customer)
    client = Client()
    portal_login(client, admin)
    return {"acme": acme, "client": client, "account": make_bank_account(admin), "invoice": make_invoice(customer)}


@pytest.mark.parametrize("total", ["٥", "٥٠.٠٠", "５", "1٠"])
def test_a_total_payment_in_other_digits_than_0_to_9_is_refused_and_nothing_is_scheduled(globex, total):
    response = globex["client"].post(
        "/acme-supply/pay-bills/",
        {
            "invoices": [globex["invoice"].pk],
            "bank_account": globex["account"].pk,
            "pay_on": soonest_pay_on(globex["acme"]).isoformat(),
            "total": total,
            "idempotency_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 200
    assert f"“{total}” is not an amount." in response.content.decode()
    assert not Payment.objects.exists()
