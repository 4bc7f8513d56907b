"""A customer's payment controls in the API: the switches and limits, combined, read-only (the owner
sets them in the console), in one query for a whole page of customers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from remit.payments.actions import payment_schedule
from remit.payments.controls import customer_payment_settings_save, payment_settings_save
from remit.payments.models import CustomerPaymentSettings, PaymentSettingsChange, PaymentStatus
from remit.test import make_biller, make_customer, soonest_pay_on

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
        "accept_ach_setting": "inherit",
        "allow_autopay_setting": "on",
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


# --- Changing them through the API ------------------------------------------------------------------


def _scheduled_payment(world):
    invoice = world.invoice(amount_cents=10000)
    return payment_schedule(
        payer=world.admin,
        invoice_ids=[invoice.pk],
        bank_account_id=world.bank_account().pk,
        pay_on=soonest_pay_on(world.biller),
        total_cents=10000,
    )


def test_the_api_changes_a_customers_switches_and_limits_and_the_history_names_the_key(world, world_api):
    answer = world_api.patch(
        f"/api/v1/customers/{world.customer.pk}/payment-controls",
        {"allow_autopay": "off", "max_per_payment_cents": 50000},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    controls = answer.json()["payment_controls"]
    assert controls["allow_autopay"] is False and controls["allow_autopay_setting"] == "off"
    assert controls["accept_ach"] is True and controls["accept_ach_setting"] == "inherit"
    assert controls["max_per_payment_cents"] == 50000 and controls["max_per_month_cents"] is None
    change = PaymentSettingsChange.objects.get()
    assert change.actor is None and change.api_key is not None and change.api_key.biller_id == world.biller.pk
    assert change.after == {"allow_autopay": "off", "max_per_payment_cents": 50000}
    # Only what was sent changes.
    world_api.patch(
        f"/api/v1/customers/{world.customer.pk}/payment-controls", {"max_per_month_cents": 90000}, format="json"
    )
    own = CustomerPaymentSettings.objects.get(customer=world.customer)
    assert (own.allow_autopay, own.max_per_payment_cents, own.max_per_month_cents) == ("off", 50000, 90000)


def test_switching_ach_off_through_the_api_can_cancel_the_scheduled_payments(world, world_api):
    payment = _scheduled_payment(world)
    answer = world_api.patch(
        f"/api/v1/customers/{world.customer.pk}/payment-controls",
        {"accept_ach": "off", "scheduled": "cancel"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert PaymentSettingsChange.objects.get().cancelled_payment_ids == [payment.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"max_per_payment_cents": 0}, "max_per_payment_cents"),
        ({"max_per_month_cents": -100}, "max_per_month_cents"),
        ({"accept_ach": "sometimes"}, "accept_ach"),
        ({"scheduled": "later"}, "scheduled"),
    ],
)
def test_bad_values_are_a_problem_naming_the_field_and_change_nothing(world, world_api, body, field):
    answer = world_api.patch(f"/api/v1/customers/{world.customer.pk}/payment-controls", body, format="json")
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert field in answer.json()["errors"]
    assert not CustomerPaymentSettings.objects.exists() and not PaymentSettingsChange.objects.exists()


def test_another_billers_customer_is_not_found(world, world_api):
    other_biller, _ = make_biller("Hooli")
    stranger = make_customer(other_biller, "Stranger", email="x@stranger.example")
    answer = world_api.patch(f"/api/v1/customers/{stranger.pk}/payment-controls", {"accept_ach": "off"}, format="json")
    assert answer.status_code == 404
    assert not CustomerPaymentSettings.objects.exists()
