"""/api/v1/recurring-invoices: the same rules and history as the console, the key named in it."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from remit.api.tests.conftest import keyed_biller
from remit.recurring.issuing import recurring_run
from remit.recurring.models import RecurringChange, RecurringInvoice, TemplateStatus
from remit.recurring.tests.helpers import at
from remit.test import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(at(date(2027, 3, 1)), tick=False):
        yield


def body(of, **changes):
    return {
        "customer": of.pk,
        "frequency": "monthly",
        "start_on": "2027-03-31",
        "count": 12,
        "terms": "net_15",
        "lines": [{"description": "Managed hosting", "unit_price_cents": 25000}],
        **changes,
    }


def create(api, customer):
    response = api.post("/api/v1/recurring-invoices", body(customer), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_create_read_change_skip_pause_resume_and_delete(api, acme, frozen):
    customer = make_customer(acme.biller, "Globex")
    created = api.post("/api/v1/recurring-invoices", body(customer), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert {k: data[k] for k in ("frequency", "start_on", "count", "next_on", "total_cents", "status")} == {
        "frequency": "monthly",
        "start_on": "2027-03-31",
        "count": 12,
        "next_on": "2027-03-31",
        "total_cents": 25000,
        "status": "active",
    }
    url = f"/api/v1/recurring-invoices/{data['id']}"
    assert api.get(url).json() == data
    assert [t["id"] for t in api.get("/api/v1/recurring-invoices").json()["results"]] == [data["id"]]

    changed = api.patch(url, {"tax_rate": "10", "delivery": "review"}, format="json").json()
    assert (changed["total_cents"], changed["delivery"], changed["count"]) == (27500, "review", 12)
    skipped = api.post(f"{url}/skip", {"scheduled_on": "2027-04-30", "reason": "Closed in April"}, format="json")
    assert skipped.status_code == 200, skipped.json()
    assert api.post(f"{url}/pause", {"reason": "Renegotiating"}, format="json").json()["status"] == "paused"
    assert api.post(f"{url}/pause", {}, format="json").status_code == 409
    assert api.post(f"{url}/resume", {}, format="json").json()["status"] == "active"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    template = RecurringInvoice.objects.get()
    assert template.status == TemplateStatus.DELETED
    kinds = [(c.kind, c.actor, c.api_key.name if c.api_key else None) for c in template.changes.order_by("pk")]
    assert kinds == [(kind, None, "Tests") for kind in ("created", "edited", "skipped", "paused", "resumed", "deleted")]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start_on": "2027-02-28"}, "start_on", "The start date is in the past; choose Mar 1, 2027 or later."),
        ({"count": None, "end_on": "2027-03-30"}, "end_on", "The end date is before the start date."),
        ({"end_on": "2028-03-31"}, "end_on", "Choose an end date or a number of invoices, not both."),
        ({"count": 1001}, "count", "Ensure this value is less than or equal to 1000."),
        ({"count": 0}, "count", "Ensure this value is greater than or equal to 1."),
        ({"lines": []}, "lines", "Add at least one line."),
        ({"lines": [{"description": "Refund", "unit_price_cents": -100}]}, "lines", None),
        ({"customer": 999999}, "customer", "There is no customer with this id."),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(api, acme, frozen, changes, field, message):
    customer = make_customer(acme.biller, "Globex")
    response = api.post("/api/v1/recurring-invoices", body(customer, **changes), format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert field in errors or any(name.startswith(f"{field}.") or name.startswith(f"{field}[") for name in errors)
    if message:
        assert errors[field] == [message]
    assert not RecurringInvoice.objects.exists() and not RecurringChange.objects.exists()


def test_the_customer_of_a_recurring_invoice_never_changes(api, acme, frozen):
    customer, other = make_customer(acme.biller, "Globex"), make_customer(acme.biller, "Initech")
    url = f"/api/v1/recurring-invoices/{create(api, customer)}"
    response = api.patch(url, {"customer": other.pk}, format="json")
    assert response.status_code == 400 and "customer" in response.json()["errors"]


def test_another_billers_key_sees_nothing(api, acme, frozen):
    customer = make_customer(acme.biller, "Globex")
    url = f"/api/v1/recurring-invoices/{create(api, customer)}"
    other = keyed_biller("Umbrella").client()
    assert other.get("/api/v1/recurring-invoices").json()["results"] == []
    assert other.get(url).status_code == 404
    assert other.delete(url).status_code == 404
    assert other.post(f"{url}/pause", {}, format="json").status_code == 404
    other_customer = make_customer(acme.biller, "Initech")
    response = other.post("/api/v1/recurring-invoices", body(other_customer), format="json")
    assert response.status_code == 400 and response.json()["errors"] == {
        "customer": ["There is no customer with this id."]
    }
    assert RecurringInvoice.objects.get().status == "active"


def test_issued_invoices_appear_in_the_invoices_api(api, acme, frozen):
    customer = make_customer(acme.biller, "Globex")
    api.post("/api/v1/recurring-invoices", body(customer, start_on="2027-03-01"), format="json")
    recurring_run()
    [invoice] = api.get("/api/v1/invoices").json()["results"]
    assert (invoice["customer"], invoice["total_cents"], invoice["issue_date"]) == (customer.pk, 25000, "2027-03-01")
