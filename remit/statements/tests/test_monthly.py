"""Monthly statements: on the 1st in the biller's time zone, last month's statement, once per
customer and month whatever runs it (two workers, a re-run), with the Pay link and the PDF."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader

from remit.billers.models import Biller
from remit.statements.actions import _send_monthly, monthly_statements_send, monthly_statements_set
from remit.statements.models import StatementEvent
from remit.statements.tasks import monthly_statements_due
from remit.test import make_biller, make_customer, make_invoice, parts

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def at(day: date, hour: int, zone: ZoneInfo = NEW_YORK) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone)


@pytest.fixture
def customers():
    with time_machine.travel(at(date(2026, 4, 20), 12), tick=False):
        biller, owner = make_biller("Acme Supply Co.")
        monthly = make_customer(biller, "Globex Corporation", email="ap@globex.example")
        quiet = make_customer(biller, "Initech", email="ap@initech.example")
        make_invoice(monthly, amount_cents=12345, issue_date=date(2026, 4, 2), number="INV-APR")
        make_invoice(quiet, amount_cents=500, issue_date=date(2026, 4, 2))
        monthly_statements_set(customer=monthly, enabled=True, actor=owner)
    return monthly, quiet


def test_on_the_first_last_months_statement_goes_once(customers, mailbox, run_on_commit):
    monthly, _ = customers
    with time_machine.travel(at(date(2026, 5, 1), 6), tick=False), run_on_commit(execute=True):
        assert monthly_statements_due() == 1
        assert monthly_statements_due() == 0  # the next hour's run
    [message] = mailbox()
    assert message["To"] == "ap@globex.example"
    assert message["Subject"] == "Your monthly statement from Acme Supply Co. — Apr 30, 2026: $123.45"
    assert "http://127.0.0.1:8000/acme-supply/pay-bills/" in parts(message)["text/plain"]
    [pdf] = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "Apr 1, 2026 – Apr 30, 2026" in text and "INV-APR" in text
    sent = StatementEvent.objects.get(kind="monthly_sent")
    assert (sent.customer_id, sent.period_start, sent.period_end, sent.recipients, sent.closing_cents) == (
        monthly.pk,
        date(2026, 4, 1),
        date(2026, 4, 30),
        ["ap@globex.example"],
        12345,
    )


def test_not_before_the_first_in_the_billers_time_zone(customers, mailbox, run_on_commit):
    monthly, _ = customers
    Biller.objects.filter(pk=monthly.biller_id).update(time_zone="America/Los_Angeles")
    # 1 a.m. on May 1st in New York is 10 p.m. on April 30th in Los Angeles.
    with time_machine.travel(at(date(2026, 5, 1), 1), tick=False), run_on_commit(execute=True):
        assert monthly_statements_send().sent == []
    with time_machine.travel(at(date(2026, 5, 1), 4), tick=False), run_on_commit(execute=True):
        assert monthly_statements_send().sent == [monthly.pk]
    assert len(mailbox()) == 1


def test_after_the_third_a_missed_month_is_not_sent_late(customers, mailbox):
    with time_machine.travel(at(date(2026, 5, 4), 9), tick=False):
        assert monthly_statements_send().sent == []
    assert not StatementEvent.objects.filter(kind="monthly_sent").exists()


def test_a_second_worker_that_got_past_the_check_sends_nothing(customers, mailbox, run_on_commit):
    monthly, _ = customers
    with time_machine.travel(at(date(2026, 5, 1), 6), tick=False), run_on_commit(execute=True):
        assert _send_monthly(customer=monthly, start=date(2026, 4, 1), end=date(2026, 4, 30)) is True
        assert _send_monthly(customer=monthly, start=date(2026, 4, 1), end=date(2026, 4, 30)) is False
    assert len(mailbox()) == 1
    assert StatementEvent.objects.filter(kind="monthly_sent").count() == 1


def test_turned_off_no_more_statements(customers, mailbox):
    monthly, _ = customers
    monthly_statements_set(customer=monthly, enabled=False, actor=None)
    with time_machine.travel(at(date(2026, 5, 1), 6), tick=False):
        assert monthly_statements_send().sent == []
