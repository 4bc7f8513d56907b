"""Customers through the API: the same action as the console's form, so the same rules."""

import pytest

from remit.customers.models import Customer, CustomerEvent
from remit.test import make_customer

pytestmark = pytest.mark.django_db

GLOBEX = {
    "name": "  Globex   Corporation ",
    "billing_emails": ["AP@globex.example", "ap@globex.example", "controller@globex.example"],
    "reference": "GLX-1",
    "address_line1": "1 Globex Way",
    "city": "Cypress Creek",
    "state": "OR",
    "postal_code": "97001",
}


def test_create_a_customer(api, acme):
    response = api.post("/api/v1/customers", GLOBEX, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert customer.biller == acme.biller
    assert body["name"] == "Globex Corporation"  # the rules tidy it, as in the console
    assert body["billing_emails"] == ["ap@globex.example", "controller@globex.example"]
    assert body["country"] == "US" and body["account_type"] is None and body["archived"] is False
    assert CustomerEvent.objects.filter(customer=customer, kind="created").count() == 1


def test_the_rules_answer_per_field(api, acme):
    make_customer(acme.biller, "Initech", reference="GLX-1")
    response = api.post("/api/v1/customers", {"name": "Globex", "billing_emails": [], "country": "USA"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "billing_emails": ["Enter at least one billing email address."],
        "country": ["Use a two-letter country code, e.g. US."],
    }
    response = api.post(
        "/api/v1/customers",
        {"name": "Globex", "billing_emails": ["ap@globex.example"], "reference": "glx-1", "postal_code": "9"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "reference": ["Another customer already has the reference “glx-1”."],
        "postal_code": ["Enter a ZIP code like 12345 or 12345-6789."],
    }
    assert not Customer.objects.filter(name="Globex").exists()


def test_an_address_that_is_not_one_is_named(api):
    response = api.post(
        "/api/v1/customers", {"name": "Globex", "billing_emails": ["ap@", "ok@x.example"]}, format="json"
    )
    assert response.json()["errors"] == {"billing_emails.0": ["Not an email address: ap@."]}


def test_retrieve_and_change_only_what_is_sent(api, acme):
    customer = make_customer(acme.biller, "Globex", email="ap@globex.example", reference="GLX")
    assert api.get(f"/api/v1/customers/{customer.pk}").json()["reference"] == "GLX"
    response = api.patch(f"/api/v1/customers/{customer.pk}", {"city": "Springfield"}, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.city, customer.reference, customer.billing_emails) == ("Springfield", "GLX", ["ap@globex.example"])
    assert CustomerEvent.objects.get(customer=customer, kind="updated").data == {"city": ["", "Springfield"]}
    response = api.patch(f"/api/v1/customers/{customer.pk}", {"name": ""}, format="json")
    assert response.status_code == 400 and "name" in response.json()["errors"]


def test_put_is_not_offered(api, acme):
    customer = make_customer(acme.biller)
    response = api.put(f"/api/v1/customers/{customer.pk}", {"name": "X"}, format="json")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Method Not Allowed"


def test_archive_and_restore(api, acme):
    customer = make_customer(acme.biller)
    response = api.post(f"/api/v1/customers/{customer.pk}/archive")
    assert response.status_code == 200 and response.json()["archived"] is True
    assert api.post(f"/api/v1/customers/{customer.pk}/archive").status_code == 200  # nothing changes
    assert CustomerEvent.objects.filter(customer=customer, kind="archived").count() == 1
    assert api.get("/api/v1/customers").json()["results"] == []
    assert [c["id"] for c in api.get("/api/v1/customers?archived=true").json()["results"]] == [customer.pk]
    assert api.post(f"/api/v1/customers/{customer.pk}/restore").json()["archived"] is False


def test_search(api, acme):
    make_customer(acme.biller, "Globex Corporation")
    initech = make_customer(acme.biller, "Initech", reference="INI-7")
    assert [c["id"] for c in api.get("/api/v1/customers?q=ini-7").json()["results"]] == [initech.pk]
    response = api.get("/api/v1/customers?archived=perhaps")
    assert response.status_code == 400 and "archived" in response.json()["errors"]
