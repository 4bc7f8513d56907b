"""A request body's fields take exactly what the OpenAPI document says: a body the document refuses
is refused by the API with a 400 naming the field, and one the document accepts is accepted —
no "5" for 5, no ".5" for a quantity, no trimmed or half-valid email address."""

from decimal import Decimal

import jsonschema_rs
import pytest
from django.test import Client

from remit.customers.models import Customer
from remit.invoices.models import Invoice

pytestmark = pytest.mark.django_db

GLOBEX = {"name": "Globex", "billing_emails": ["ap@globex.example"]}


def request_schema(path: str, method: str) -> jsonschema_rs.Draft7Validator:
    """The document's schema of the operation's JSON body, read by the validator schemathesis uses,
    formats included (an "email" has at most 64 characters before the @, as RFC 5321 says)."""
    document = Client().get("/api/v1/openapi.json").json()
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft7Validator({**body, "components": document["components"]}, validate_formats=True)


def field_names(errors: dict[str, list[str]]) -> set[str]:
    return set(errors)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"billing_emails": []}, "billing_emails"),
        ({"country": "00"}, "country"),
        ({"country": "USA"}, "country"),
        ({"country": " us"}, "country"),
        ({"name": "   "}, "name"),
        ({"name": "\u3000"}, "name"),
        ({"name": 5}, "name"),
        ({"name": "Globex\x00"}, "name"),
        ({"billing_emails": ["ap@globex"]}, "billing_emails.0"),
        ({"billing_emails": ["ap@globex.c"]}, "billing_emails.0"),
        ({"billing_emails": ["ap@globex.c0m"]}, "billing_emails.0"),
        ({"billing_emails": ["ap@müller.example"]}, "billing_emails.0"),
        ({"billing_emails": [" ap@globex.example"]}, "billing_emails.0"),
        ({"billing_emails": ["a" * 65 + "@globex.example"]}, "billing_emails.0"),
        ({"billing_emails": "ap@globex.example"}, "billing_emails"),
        ({"city": "Springfield\x00"}, "city"),
        ({"reference": 7}, "reference"),
    ],
)
def test_a_customer_the_document_refuses_is_refused_naming_the_field(api, changes, field):
    body = {**GLOBEX, **changes}
    assert not request_schema("/api/v1/customers", "post").is_valid(body)
    response = api.post("/api/v1/customers", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field_names(response.json()["errors"]) == {field}
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"country": "ca", "postal_code": "K1A 0B1"},
        {"billing_emails": ["AP@Globex.Example", "o'brien+ar@mail.globex-corp.example", "ap@xn--mller-kva.xn--p1ai"]},
        {"name": " Globex  Corporation ", "reference": "", "city": ""},
        {"country": "US", "postal_code": "62701-1234"},
    ],
)
def test_a_customer_the_document_accepts_is_created(api, changes):
    body = {**GLOBEX, **changes}
    assert request_schema("/api/v1/customers", "post").is_valid(body)
    response = api.post("/api/v1/customers", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["country"] == body.get("country", "US").upper()


def invoice(customer, line=None, **changes):
    lines = [{"description": "Widgets", "unit_price_cents": 1999, **(line or {})}]
    return {"customer": customer.pk, "lines": lines, **changes}


@pytest.mark.parametrize(
    ("line", "changes", "field"),
    [
        ({"quantity": ".5"}, {}, "lines.0.quantity"),
        ({"quantity": "1."}, {}, "lines.0.quantity"),
        ({"quantity": "-1"}, {}, "lines.0.quantity"),
        ({"quantity": "1.2345"}, {}, "lines.0.quantity"),
        ({"quantity": "\u0665"}, {}, "lines.0.quantity"),  # an Arabic-Indic five
        ({"quantity": " 3"}, {}, "lines.0.quantity"),
        ({"quantity": 0.0005}, {}, "lines.0.quantity"),
        ({"quantity": True}, {}, "lines.0.quantity"),
        ({"unit_price_cents": "1999"}, {}, "lines.0.unit_price_cents"),
        ({"unit_price_cents": 19.99}, {}, "lines.0.unit_price_cents"),
        ({"description": " "}, {}, "lines.0.description"),
        ({}, {"tax_rate": "100.5"}, "tax_rate"),
        ({}, {"tax_rate": 100.001}, "tax_rate"),
        ({}, {"tax_rate": "8,25"}, "tax_rate"),
        ({}, {"issue_date": "2026-1-5"}, "issue_date"),
        ({}, {"issue_date": "20261205"}, "issue_date"),
        ({}, {"number": "INV 1"}, "number"),
        ({}, {"number": "-A"}, "number"),
        ({}, {"terms": ""}, "terms"),
        ({}, {"lines": []}, "lines"),
    ],
)
def test_an_invoice_the_document_refuses_is_refused_naming_the_field(world, world_api, line, changes, field):
    body = invoice(world.customer, line, **changes)
    assert not request_schema("/api/v1/invoices", "post").is_valid(body)
    response = world_api.post("/api/v1/invoices", body, format="json")
    assert response.status_code == 400
    assert field_names(response.json()["errors"]) == {field}
    assert not Invoice.objects.exists()


def test_a_customer_id_is_a_json_integer(world, world_api):
    body = invoice(world.customer) | {"customer": str(world.customer.pk)}
    assert not request_schema("/api/v1/invoices", "post").is_valid(body)
    assert field_names(world_api.post("/api/v1/invoices", body, format="json").json()["errors"]) == {"customer"}
    # An OpenAPI 3.0 document's JSON Schema is draft 4's: 1.0 is a number, not an integer.
    body = invoice(world.customer) | {"customer": float(world.customer.pk)}
    assert not jsonschema_rs.Draft4Validator({"type": "integer"}).is_valid(body["customer"])
    assert field_names(world_api.post("/api/v1/invoices", body, format="json").json()["errors"]) == {"customer"}


@pytest.mark.parametrize(
    ("quantity", "tax_rate", "total_cents"),
    [
        ("2.5", "8.25", 5410),  # 2.5 × $19.99 = $49.98 (half-up), + 8.25% tax
        (2.5, 8.25, 5410),
        (2, 0, 3998),
        ("999999.000", "100", 3997996002),
    ],
)
def test_quantities_and_rates_may_be_strings_or_numbers(world, world_api, quantity, tax_rate, total_cents):
    body = invoice(world.customer, {"quantity": quantity}, tax_rate=tax_rate)
    assert request_schema("/api/v1/invoices", "post").is_valid(body)
    response = world_api.post("/api/v1/invoices", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["total_cents"] == total_cents
    assert Invoice.objects.get().lines.get().quantity == Decimal(str(quantity))


def test_a_void_reason_is_not_only_spaces(world, world_api):
    created = world_api.post("/api/v1/invoices", invoice(world.customer), format="json").json()
    body = {"reason": " \t"}
    assert not request_schema("/api/v1/invoices/{id}/void", "post").is_valid(body)
    response = world_api.post(f"/api/v1/invoices/{created['id']}/void", body, format="json")
    assert response.status_code == 400
    assert field_names(response.json()["errors"]) == {"reason"}
