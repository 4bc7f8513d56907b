"""Statements in the portal: the period chooser, the statement on the page, and its PDF."""

from __future__ import annotations

import html as html_text
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader

from remit.payments.actions import payment_record_offline
from remit.test import make_invoice, make_world, portal_login

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 5, 14, 12, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def world():
    with time_machine.travel(TODAY, tick=False):
        world = make_world()
        first = make_invoice(world.customer, amount_cents=120000, issue_date=date(2026, 3, 20), number="INV-0310")
        make_invoice(world.customer, amount_cents=45050, issue_date=date(2026, 4, 10), number="INV-0410")
        make_invoice(world.other_customer, amount_cents=77777, issue_date=date(2026, 4, 11), number="INI-0411")
        payment_record_offline(
            invoice=first,
            actor=world.owner,
            amount_cents=20000,
            method="check",
            received_on=date(2026, 4, 15),
            reference="Check 1042",
        )
    return world


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def test_statements_is_in_the_navigation_next_to_the_help_articles_labels(client, world):
    portal_login(client, world.admin)
    html = client.get("/acme-supply/").content.decode()
    for label in ("Home", "Invoices", "Pay Outstanding Bills", "Payments", "Statements"):
        assert f">{label}</a>" in html
    assert 'href="/acme-supply/statements/"' in html


def test_last_month_shows_opening_lines_closing_and_aging(client, world):
    portal_login(client, world.member)
    response = client.get("/acme-supply/statements/", {"period": "last_month"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Apr 1, 2026 – Apr 30, 2026" in html
    assert "Opening balance on Apr 1, 2026" in html and "$1,200.00" in html
    assert "Invoice INV-0410, due May 10, 2026" in html
    assert "Payment (Check) for INV-0310" in html and "−$200.00" in html
    assert "Closing balance on Apr 30, 2026" in html and "$1,450.50" in html
    assert "INI-0411" not in html and "$777.77" not in html  # the neighbour's invoice
    assert 'href="/acme-supply/statements/pdf?period=last_month"' in html
    assert 'data-label="1–30 days"' in html


def test_by_default_the_last_30_days(client, world):
    portal_login(client, world.admin)
    html = client.get("/acme-supply/statements/").content.decode()
    assert "Apr 15, 2026 – May 14, 2026" in html
    assert 'value="2026-04-15"' in html and 'value="2026-05-14"' in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to", "The last day can't be before the first day."),
        ({"from": "2019-01-01", "to": "2026-05-01"}, "to", "A statement covers at most five years"),
        ({"from": "2026-13-01", "to": "2026-05-01"}, "from", "Enter a valid date."),
        ({"to": "2026-05-01"}, "from", "Enter the first day of the period."),
    ],
)
def test_a_bad_custom_period_is_refused_at_its_field(client, world, query, field, message):
    portal_login(client, world.admin)
    response = client.get("/acme-supply/statements/", {"period": "custom", **query})
    html = html_text.unescape(response.content.decode())
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html and message in html
    assert "Closing balance" not in html
    assert client.get("/acme-supply/statements/pdf", {"period": "custom", **query}).status_code == 400


def test_the_pdf_reads_back_with_the_biller_customer_period_lines_and_aging(client, world):
    portal_login(client, world.admin)
    response = client.get("/acme-supply/statements/pdf", {"period": "custom", "from": "2026-04-01", "to": "2026-05-14"})
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="statement-')
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in (
        "Acme Supply Co.",
        "STATEMENT OF ACCOUNT",
        "Globex Corporation",
        "Apr 1, 2026 – May 14, 2026",
        "Opening balance",
        "Invoice INV-0410, due May 10, 2026",
        "Payment (Check) for INV-0310",
        "$1,450.50",
        "1–30 days",
        "Over 90 days",
        "http://127.0.0.1:8000/acme-supply/",
    ):
        assert expected in text, expected
    assert "INI-0411" not in text


def test_signed_out_goes_to_sign_in(client, world):
    response = client.get("/acme-supply/statements/")
    assert response.status_code == 302 and response["Location"].startswith("/acme-supply/signin/")
