"""Credits through the API: issued by the same action as the console's Issue credit, listed, read
and as a PDF credit note; refusals are problem documents naming the field, and another biller's
objects are not found."""

import io

import pytest
from pypdf import PdfReader

from remit.api.tests.conftest import keyed_biller
from remit.payments.models import Credit
from remit.test import make_customer, make_invoice

pytestmark = pytest.mark.django_db


def issue(api, **body):
    return api.post("/api/v1/credits", body, format="json")


def test_issue_against_an_invoice_then_read_list_and_pdf(world_api, world):
    invoice = make_invoice(world.customer, amount_cents=10000)
    created = issue(
        world_api, customer=world.customer.pk, amount_cents=2500, reason="Damaged goods", invoice=invoice.pk
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["number"], body["amount_cents"], body["applied_cents"], body["unapplied_cents"]) == (
        "CN-000001",
        2500,
        2500,
        0,
    )
    assert body["applications"][0]["invoice_number"] == invoice.number
    assert world_api.get(f"/api/v1/credits/{body['id']}").json() == body
    listed = world_api.get(f"/api/v1/credits?customer={world.customer.pk}").json()
    assert [credit["id"] for credit in listed["results"]] == [body["id"]]
    read = world_api.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert (read["credited_cents"], read["balance_cents"], read["status"]) == (2500, 7500, "partially_paid")
    pdf = world_api.get(f"/api/v1/credits/{body['id']}/pdf", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "CREDIT NOTE" in text and "CN-000001" in text and "Damaged goods" in text


def test_unapplied_account_credit(world_api, world):
    body = issue(world_api, customer=world.customer.pk, amount_cents=4000, reason="Goodwill").json()
    assert (body["unapplied_cents"], body["applications"]) == (4000, [])


def test_retried_post_with_the_same_key_issues_one_credit(world_api, world):
    data = {"customer": world.customer.pk, "amount_cents": 100, "reason": "Goodwill"}
    first = world_api.post("/api/v1/credits", data, format="json", HTTP_IDEMPOTENCY_KEY="credit-1")
    again = world_api.post("/api/v1/credits", data, format="json", HTTP_IDEMPOTENCY_KEY="credit-1")
    assert first.json() == again.json() and Credit.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -5}, "amount_cents"),
        ({"reason": "  "}, "reason"),
        ({"customer": 999999}, "customer"),
        ({"invoice": 999999}, "invoice"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(world_api, world, changes, field):
    body = {"customer": world.customer.pk, "amount_cents": 100, "reason": "Goodwill", **changes}
    response = issue(world_api, **body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert not Credit.objects.exists()


def test_above_what_the_invoice_has_left_is_refused_at_the_amount(world_api, world):
    invoice = make_invoice(world.customer, amount_cents=10000)
    response = issue(world_api, customer=world.customer.pk, amount_cents=10001, reason="x", invoice=invoice.pk)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "amount_cents": ["That is more than the $100.00 left on INV-00001 (not already paid, scheduled or credited)."]
    }
    assert not Credit.objects.exists()


def test_an_invoice_of_another_customer_or_biller_is_refused(world_api, world):
    theirs = make_invoice(world.other_customer)
    response = issue(world_api, customer=world.customer.pk, amount_cents=100, reason="x", invoice=theirs.pk)
    assert response.status_code == 400 and "invoice" in response.json()["errors"]
    other = keyed_biller("Other Co.")
    foreign = make_invoice(make_customer(other.biller))
    response = issue(world_api, customer=world.customer.pk, amount_cents=100, reason="x", invoice=foreign.pk)
    assert response.status_code == 400
    assert response.json()["errors"] == {"invoice": ["There is no invoice with this id."]}
    assert not Credit.objects.exists()


def test_another_biller_gets_404(world_api, world):
    credit = issue(world_api, customer=world.customer.pk, amount_cents=100, reason="Goodwill").json()
    other = keyed_biller("Other Co.").client()
    assert other.get(f"/api/v1/credits/{credit['id']}").status_code == 404
    assert other.get(f"/api/v1/credits/{credit['id']}/pdf").status_code == 404
    assert other.get("/api/v1/credits").json()["results"] == []
    response = other.post(
        "/api/v1/credits", {"customer": world.customer.pk, "amount_cents": 1, "reason": "x"}, format="json"
    )
    assert response.status_code == 400 and Credit.objects.count() == 1
