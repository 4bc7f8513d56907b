"""Issuing: each date once (re-runs, catch-up), in the biller's time zone, sent or held for review,
through the invoices' own actions — numbers, totals, the email with its PDF, and Auto Pay."""

from __future__ import annotations

from datetime import date
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from remit.autopay.models import AutoPayClaim
from remit.autopay.settings import autopay_save
from remit.billers.models import Biller
from remit.customers.actions import customer_archive
from remit.invoices.models import Invoice, InvoiceEvent, InvoiceSend
from remit.recurring.actions import recurring_issue_send
from remit.recurring.issuing import recurring_run
from remit.recurring.models import IssueStatus, RecurringChange, RecurringIssue, TemplateStatus
from remit.recurring.tests.helpers import at, issued, make_template
from remit.test import parts

pytestmark = pytest.mark.django_db

MARCH_1 = date(2027, 3, 1)


def test_each_date_is_issued_once_however_often_the_worker_runs(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer, world.owner, count=3)
        first = recurring_run()
        assert recurring_run().issues == []  # a re-run the same day does nothing
    [issue] = first.issues
    invoice = issued(issue)
    assert issue.status == IssueStatus.ISSUED and issue.scheduled_on == MARCH_1
    assert (invoice.number, invoice.issue_date, invoice.due_date) == ("INV-00001", MARCH_1, date(2027, 3, 16))
    assert (invoice.subtotal_cents, invoice.total_cents) == (35000, 35000)
    assert [line.description for line in invoice.lines.all()] == ["Managed hosting", "Support hours"]
    assert invoice.memo == "Thank you for your business."
    assert InvoiceEvent.objects.get(invoice=invoice, kind="created").actor is None  # Remit did it

    with time_machine.travel(at(date(2027, 3, 31)), tick=False):
        assert recurring_run().issues == []  # April's date has not come
    with time_machine.travel(at(date(2027, 4, 1)), tick=False):
        assert [issued(i).number for i in recurring_run().issues] == ["INV-00002"]
        assert recurring_run().issues == []
    template.refresh_from_db()
    assert (template.next_n, template.next_on, template.status) == (2, date(2027, 5, 1), TemplateStatus.ACTIVE)


def test_after_downtime_each_missed_date_is_issued_once_dated_the_day_it_is_issued(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer, frequency="weekly", count=4)
    with time_machine.travel(at(date(2027, 3, 17)), tick=False):  # the worker was down for two weeks
        report = recurring_run()
        assert recurring_run().issues == []
    assert [i.scheduled_on for i in report.issues] == [MARCH_1, date(2027, 3, 8), date(2027, 3, 15)]
    assert {issued(i).issue_date for i in report.issues} == {date(2027, 3, 17)}  # the customer's full terms
    assert Invoice.objects.count() == 3
    with time_machine.travel(at(date(2027, 3, 22)), tick=False):
        recurring_run()
    template.refresh_from_db()
    assert template.status == TemplateStatus.FINISHED and template.next_on is None
    assert RecurringChange.objects.filter(template=template, kind="finished").count() == 1
    with time_machine.travel(at(date(2027, 6, 1)), tick=False):
        assert recurring_run().issues == []
    assert Invoice.objects.count() == 4


def test_the_day_comes_in_the_billers_time_zone(world):
    Biller.objects.filter(pk=world.biller.pk).update(time_zone="America/Los_Angeles")
    utc = ZoneInfo("UTC")
    with time_machine.travel(at(date(2027, 2, 28), 20, utc), tick=False):
        make_template(world.customer)
    # 03:00 UTC on March 1 is still Feb 28, 19:00 in Los Angeles: not yet.
    with time_machine.travel(at(MARCH_1, 3, utc), tick=False):
        assert recurring_run().issues == []
    with time_machine.travel(at(MARCH_1, 8, utc), tick=False):  # midnight in Los Angeles
        [issue] = recurring_run().issues
    assert issued(issue).issue_date == MARCH_1


def test_sent_automatically_the_invoice_is_emailed_with_its_pdf(world, mailbox, run_on_commit):
    with time_machine.travel(at(MARCH_1), tick=False):
        make_template(world.customer)
        with run_on_commit(execute=True):
            [issue] = recurring_run().issues
    assert issue.emailed and InvoiceSend.objects.filter(invoice=issued(issue)).count() == 1
    [message] = mailbox()
    assert message["To"] == "ap@globex.example"
    assert message["Subject"] == "Invoice INV-00001 from Acme Supply Co. — $350.00 due Mar 16, 2027"
    assert "Pay Invoice Electronically" in parts(message)["text/plain"]
    assert [a.get_filename() for a in message.iter_attachments()] == ["INV-00001.pdf"]


def test_held_for_review_nothing_is_created_until_the_biller_sends_it(world, mailbox, run_on_commit):
    with time_machine.travel(at(MARCH_1), tick=False):
        make_template(world.customer, delivery="review")
        with run_on_commit(execute=True):
            [issue] = recurring_run().issues
        assert issue.status == IssueStatus.REVIEW and issue.invoice is None
        assert not Invoice.objects.exists() and mailbox() == []
        assert recurring_run().issues == []  # held once, not again
    with time_machine.travel(at(date(2027, 3, 3)), tick=False), run_on_commit(execute=True):
        sent = recurring_issue_send(issue=issue, actor=world.owner)
    assert sent.status == IssueStatus.ISSUED and sent.actor == world.owner and sent.emailed
    assert issued(sent).issue_date == date(2027, 3, 3)  # dated the day the customer receives it
    [message] = mailbox()
    assert message["Subject"].startswith("Invoice INV-00001 from Acme Supply Co.")
    assert RecurringChange.objects.filter(kind="sent", actor=world.owner).exists()


def test_auto_pay_pays_an_issued_invoice_like_any_other(world, run_on_commit):
    account = world.bank_account()
    autopay_save(
        customer=world.customer,
        actor=world.admin,
        enabled=True,
        max_cents=100000,
        bank_account_id=account.pk,
        days=1,
        when="before",
    )
    with time_machine.travel(at(MARCH_1), tick=False):
        make_template(world.customer)
        [issue] = recurring_run().issues
    claim = AutoPayClaim.objects.get(invoice=issued(issue))
    assert claim.payment.amount_cents == 35000 and claim.payment.is_autopay
    issued(issue).refresh_from_db()
    assert issued(issue).pending_cents == 35000


def test_an_archived_customer_skips_the_date_and_says_why(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        make_template(world.customer)
        customer_archive(customer=world.customer, actor=world.owner)
        [issue] = recurring_run().issues
        assert recurring_run().issues == []
    assert issue.status == IssueStatus.SKIPPED and "archived" in issue.note
    assert not Invoice.objects.exists()


def test_the_command_prints_what_it_issued(world):
    with time_machine.travel(at(date(2027, 2, 20)), tick=False):
        make_template(world.customer)
        make_template(world.other_customer, delivery="review")
        out = StringIO()
        call_command("recurring", "run", "--today", "2027-03-01", stdout=out)
        again = StringIO()
        call_command("recurring", "run", "--today", "2027-03-01", stdout=again)
    assert out.getvalue().splitlines() == [
        "acme-supply: Globex Corporation, 2027-03-01: issued INV-00001 for $350.00, emailed",
        "acme-supply: Initech, 2027-03-01: held for review",
        "Issued 1 recurring invoice(s); 1 held for review.",
    ]
    assert again.getvalue().splitlines() == ["Issued 0 recurring invoice(s); 0 held for review."]
    assert RecurringIssue.objects.count() == 2
