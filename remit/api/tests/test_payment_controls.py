"""A customer's payment controls in the API: the switches and limits, combined, read-only (the owner
sets them in the console), in one query for a whole page of customers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from remit.payments.controls import customer_payment_settings_save, payment_settings_save

pytestmark = pytest.mark.django_db


def test_a_customer_shows_its_switches_and_limits(world, world_api):
    payment_settings_save(
        biller=world.biller, actor=world.owner, accept_ach=True, allow_autopay=False, over_limit="hold"
    )
    customer_payment_settings_save(
        customer=world.customer,
        actor=world.owner,
        accept_ach="inherit",
        allow_autopay="on",
        max_per_payment_cents=50000,
        max_per_month_cents=None,
    )
    globex = world_api.get(f"/api/v1/customers/{world.customer.pk}").json()
    assert globex["payment_controls"] == {
        "accept_ach": True,
        "allow_autopay": True,
        "max_per_payment_cents": 50000,
        "max_per_month_cents": None,
        "over_limit": "hold",
    }
    initech = world_api.get(f"/api/v1/customers/{world.other_customer.pk}").json()
    assert initech["payment_controls"]["allow_autopay"] is False
    assert initech["payment_controls"]["max_per_payment_cents"] is None


def test_a_page_of_customers_reads_the_switches_once(world, world_api):
    with CaptureQueriesContext(connection) as queries:
        results = world_api.get("/api/v1/customers").json()["results"]
    assert len(results) == 2
    assert sum("payments_paymentsettings" in q["sql"] for q in queries.captured_queries) == 1
    assert sum("payments_customerpaymentsettings" in q["sql"] for q in queries.captured_queries) == 1
