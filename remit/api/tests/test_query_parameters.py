"""Query parameters are what the OpenAPI document lists, one spelling each: an empty, unknown,
repeated or misspelled one is a 400 naming it — never ignored, which would answer another
question than the one asked (``?status=`` listing every invoice, ``?stauts=open`` too)."""

import pytest
from django.test import Client

from remit.test import make_customer, make_invoice

pytestmark = pytest.mark.django_db


def refused(api, url):
    response = api.get(url)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["errors"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("status=", "status"),
        ("status=Open", "status"),
        ("customer=", "customer"),
        ("customer=1.0", "customer"),
        ("customer=%2B1", "customer"),
        ("customer=0", "customer"),
        ("issue_date_from=", "issue_date_from"),
        ("issue_date_from=2026-1-5", "issue_date_from"),
        ("due_date_to=2026-02-30", "due_date_to"),
    ],
)
def test_an_empty_or_invalid_invoice_filter_is_refused(api, acme, query, parameter):
    make_invoice(make_customer(acme.biller, "Globex"))
    assert list(refused(api, f"/api/v1/invoices?{query}")) == [parameter]


@pytest.mark.parametrize(("query", "parameter"), [("status=", "status"), ("customer=x", "customer")])
def test_an_empty_or_invalid_payment_filter_is_refused(api, query, parameter):
    assert list(refused(api, f"/api/v1/payments?{query}")) == [parameter]


@pytest.mark.parametrize("archived", ["", "1", "yes", "True", "on"])
def test_archived_is_true_or_false(api, acme, archived):
    make_customer(acme.biller, "Globex")
    assert list(refused(api, f"/api/v1/customers?archived={archived}")) == ["archived"]
    assert len(api.get("/api/v1/customers?archived=false").json()["results"]) == 1
    assert api.get("/api/v1/customers?archived=true").json()["results"] == []


def test_an_unknown_parameter_is_named_with_the_ones_there_are(api):
    errors = refused(api, "/api/v1/invoices?stauts=open")
    assert errors == {
        "stauts": [
            "Unknown parameter. This endpoint takes cursor, customer, due_date_from, due_date_to, "
            "issue_date_from, issue_date_to, limit, status."
        ]
    }
    listed = Client().get("/api/v1/openapi.json").json()["paths"]["/api/v1/invoices"]["get"]["parameters"]
    names = ", ".join(sorted(p["name"] for p in listed))
    assert names == "cursor, customer, due_date_from, due_date_to, issue_date_from, issue_date_to, limit, status"


def test_a_parameter_given_twice_is_refused(api):
    assert refused(api, "/api/v1/invoices?status=open&status=paid") == {"status": ["Give this parameter once."]}
    assert refused(api, "/api/v1/customers?limit=2&limit=3") == {"limit": ["Give this parameter once."]}


def test_an_operation_without_parameters_takes_none(api, acme):
    invoice = make_invoice(make_customer(acme.biller, "Globex"))
    assert refused(api, f"/api/v1/invoices/{invoice.pk}?expand=lines") == {
        "expand": ["Unknown parameter. This endpoint takes no query parameters."]
    }
    assert list(refused(api, f"/api/v1/invoices/{invoice.pk}/pdf?format=json")) == ["format"]
    assert api.get(f"/api/v1/invoices/{invoice.pk}/pdf", HTTP_ACCEPT="application/pdf").status_code == 200


def test_the_key_is_checked_before_the_parameters(client):
    response = client.get("/api/v1/invoices?stauts=open")
    assert response.status_code == 401


def test_a_method_the_path_does_not_take_is_still_405(api):
    assert api.put("/api/v1/invoices?stauts=open").status_code == 405
