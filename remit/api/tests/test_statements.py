"""GET /customers/{id}/statement and statement.pdf: the portal's figures, scoped to the key's biller."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader

from remit.payments.actions import payment_record_offline
from remit.test import make_invoice


@pytest.fixture(autouse=True)
def _june():
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=ZoneInfo("America/New_York")), tick=False):
        yield


def seed(world):
    march = world.invoice(amount_cents=10000, issue_date=date(2026, 3, 2), number="INV-M")
    world.invoice(amount_cents=2500, issue_date=date(2026, 5, 3), number="INV-N")
    payment_record_offline(
        invoice=march, actor=world.owner, amount_cents=4000, method="wire", received_on=date(2026, 5, 10)
    )
    make_invoice(world.other_customer, amount_cents=999, issue_date=date(2026, 5, 4))


def test_the_statement_as_json(world_api, world):
    seed(world)
    response = world_api.get(f"/api/v1/customers/{world.customer.pk}/statement?from=2026-05-01&to=2026-05-31")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["from"], body["to"], body["opening_cents"], body["closing_cents"]) == (
        "2026-05-01",
        "2026-05-31",
        10000,
        8500,
    )
    assert [(line["date"], line["kind"], line["amount_cents"], line["balance_cents"]) for line in body["lines"]] == [
        ("2026-05-03", "invoice", 2500, 12500),
        ("2026-05-10", "payment", -4000, 8500),
    ]
    assert body["totals"] == {
        "invoice_cents": 2500,
        "payment_cents": 4000,
        "return_cents": 0,
        "credit_cents": 0,
        "void_cents": 0,
    }
    assert body["aging"]["days_31_60_cents"] == 6000  # INV-M, due Apr 1: 60 days past due on May 31
    assert body["aging"]["current_cents"] == 2500
    assert body["aging"]["total_cents"] == 8500
    assert body["scheduled"] == []


def test_the_statement_as_a_pdf(world_api, world):
    seed(world)
    response = world_api.get(f"/api/v1/customers/{world.customer.pk}/statement.pdf?from=2026-05-01&to=2026-05-31")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "STATEMENT OF ACCOUNT" in text and "Globex Corporation" in text and "$85.00" in text


def test_bad_periods_are_problems_naming_the_field(world_api, world):
    url = f"/api/v1/customers/{world.customer.pk}/statement"
    for query, field in [
        ("from=2026-05-02&to=2026-05-01", "to"),
        ("from=2020-01-01&to=2026-05-01", "to"),
        ("from=2026-5-1&to=2026-05-01", "from"),
        ("to=2026-5-01", "to"),
        ("from=2026-05-01&to=2026-05-31&format=pdf", "format"),
    ]:
        response = world_api.get(f"{url}?{query}")
        assert response.status_code == 400, query
        assert response["Content-Type"] == "application/problem+json"
        assert list(response.json()["errors"]) == [field], query
    pdf = world_api.get(f"{url}.pdf?from=2026-05-02&to=2026-05-01")
    assert pdf.status_code == 400 and list(pdf.json()["errors"]) == ["to"]


def test_by_default_the_last_30_days(world_api, world):
    body = world_api.get(f"/api/v1/customers/{world.customer.pk}/statement").json()
    assert (body["from"], body["to"]) == ("2026-05-17", "2026-06-15")


def test_another_billers_customer_is_not_found(api, world):
    response = api.get(f"/api/v1/customers/{world.customer.pk}/statement?from=2026-05-01&to=2026-05-31")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert (
        api.get(f"/api/v1/customers/{world.customer.pk}/statement.pdf?from=2026-05-01&to=2026-05-31").status_code == 404
    )
