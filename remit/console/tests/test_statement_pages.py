"""A customer's statements in the console: Email statement for a chosen period, and the Monthly
statements switch (recorded)."""

from __future__ import annotations

import html
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader

from remit.statements.models import MonthlyStatements, StatementEvent
from remit.test import make_biller, make_invoice, make_staff, parts

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 14, 12, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture(autouse=True)
def _may():
    with time_machine.travel(NOW, tick=False):
        yield


def url(world, path=""):
    return f"/console/{world.biller.slug}/customers/{world.customer.pk}/{path}"


def test_staff_email_last_months_statement_with_the_pdf_and_the_pay_link(client, world, mailbox, run_on_commit):
    make_invoice(world.customer, amount_cents=31415, issue_date=date(2026, 4, 3), number="INV-APR")
    client.force_login(make_staff(world.biller))
    page = client.get(url(world, "statement/")).content.decode()
    assert "Apr 1, 2026 – Apr 30, 2026" in page and "$314.15" in page  # last month, by default
    with run_on_commit(execute=True):
        response = client.post(url(world, "statement/"), {"period": "custom", "from": "2026-04-01", "to": "2026-04-30"})
    assert response.status_code == 302
    [message] = mailbox()
    assert message["To"] == "ap@globex.example"
    assert "Statement of account from Acme Supply Co." in message["Subject"] and "$314.15" in message["Subject"]
    text = parts(message)["text/plain"]
    assert "http://127.0.0.1:8000/acme-supply/pay-bills/" in text
    [pdf] = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert "INV-APR" in PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    event = StatementEvent.objects.get(customer=world.customer)
    assert (event.kind, event.period_start, event.period_end, event.closing_cents) == (
        "emailed",
        date(2026, 4, 1),
        date(2026, 4, 30),
        31415,
    )
    assert "Statement emailed" in client.get(url(world, "statement/")).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"period": "custom", "from": "2026-04-30", "to": "2026-04-01"}, "to", "The last day can't be before"),
        ({"period": "custom", "from": "2020-04-30", "to": "2026-04-01"}, "to", "at most five years"),
        ({"period": "custom", "from": "someday", "to": "2026-04-01"}, "from", "Enter a valid date."),
    ],
)
def test_a_bad_period_is_refused_at_its_field_and_nothing_is_sent(client, world, mailbox, data, field, message):
    client.force_login(world.owner)
    response = client.post(url(world, "statement/"), data)
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in page and message in page
    assert not StatementEvent.objects.exists() and mailbox() == []


def test_no_billing_address_is_said_above_the_form(client, world):
    world.customer.billing_emails = []
    world.customer.save()
    client.force_login(world.owner)
    response = client.post(url(world, "statement/"), {"period": "last_month"})
    assert response.status_code == 400
    assert "Globex Corporation has no billing email address" in response.content.decode()


def test_the_monthly_switch_is_recorded_and_shown_on_the_customer_page(client, world):
    client.force_login(world.owner)
    assert "Turn monthly statements on" in client.get(url(world)).content.decode()
    assert client.post(url(world, "monthly-statements"), {"enabled": "1"}).status_code == 302
    assert client.post(url(world, "monthly-statements"), {"enabled": "1"}).status_code == 302  # no change
    page = client.get(url(world)).content.decode()
    assert "On: emailed on the 1st" in page and "Turn monthly statements off" in page
    client.post(url(world, "monthly-statements"), {"enabled": "0", "next": "statement"})
    assert MonthlyStatements.objects.get(customer=world.customer).enabled is False
    kinds = list(StatementEvent.objects.order_by("pk").values_list("kind", "actor"))
    assert kinds == [("monthly_on", world.owner.pk), ("monthly_off", world.owner.pk)]


def test_another_billers_customer_is_not_found(client, world):
    _, stranger = make_biller("Stranger Inc.")
    client.force_login(stranger)
    other = f"/console/{world.biller.slug}/customers/{world.customer.pk}/"
    assert client.get(other + "statement/").status_code == 404
    assert client.post(other + "monthly-statements", {"enabled": "1"}).status_code == 404
    assert not MonthlyStatements.objects.exists()
