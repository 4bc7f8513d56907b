"""The template's rules (refused at the field, nothing half-saved) and its audited changes: edit,
pause, resume, skip, delete."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from remit.invoices.models import Invoice
from remit.invoices.totals import Line
from remit.recurring.actions import (
    RecurringError,
    recurring_create,
    recurring_delete,
    recurring_issue_send,
    recurring_pause,
    recurring_resume,
    recurring_skip,
    recurring_update,
)
from remit.recurring.issuing import recurring_run
from remit.recurring.models import (
    IssueStatus,
    RecurringChange,
    RecurringInvoice,
    RecurringIssue,
    RecurringLine,
    TemplateStatus,
)
from remit.recurring.tests.helpers import at, fields, issued, make_template
from remit.test import make_biller, make_customer

pytestmark = pytest.mark.django_db

MARCH_1 = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start_on": date(2027, 2, 28)}, "start_on", "The start date is in the past; choose Mar 1, 2027 or later."),
        (
            {"end_on": date(2027, 2, 1), "start_on": date(2027, 3, 5)},
            "end_on",
            "The end date is before the start date.",
        ),
        ({"count": 1001}, "count", "Enter a number of invoices from 1 to 1,000."),
        ({"count": 0}, "count", "Enter a number of invoices from 1 to 1,000."),
        ({"count": -3}, "count", "Enter a number of invoices from 1 to 1,000."),
        (
            {"frequency": "weekly", "end_on": MARCH_1 + timedelta(weeks=1000)},
            "end_on",
            "That is more than 1,000 invoices; choose an earlier end date or a number of invoices.",
        ),
        ({"end_on": date(2027, 9, 1), "count": 3}, "end_on", "Choose an end date or a number of invoices, not both."),
        ({"lines": []}, "lines", "Add at least one line."),
        (
            {"lines": [Line("Refund", Decimal(1), -500)]},
            "lines",
            "Line 1: the quantity and the unit price can't be negative.",
        ),
        (
            {"lines": [Line("Hours", Decimal(-2), 500)]},
            "lines",
            "Line 1: the quantity and the unit price can't be negative.",
        ),
        ({"lines": [Line("  ", Decimal(1), 500)]}, "lines", "Line 1: enter a description."),
        ({"tax_rate": Decimal(101)}, "tax_rate", "The tax rate must be between 0% and 100%."),
        ({"terms": "custom"}, "terms", "Choose the payment terms."),
        ({"frequency": "daily"}, "frequency", "Choose how often to invoice."),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(world, changes, field, message):
    with time_machine.travel(at(MARCH_1), tick=False), pytest.raises(RecurringError) as refused:
        make_template(world.customer, **changes)
    assert refused.value.errors == {field: [message]}
    assert not RecurringInvoice.objects.exists() and not RecurringLine.objects.exists()
    assert not RecurringChange.objects.exists()


def test_exactly_a_thousand_invoices_and_a_start_today_are_accepted(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        by_count = make_template(world.customer, count=1000, frequency="weekly")
        by_date = make_template(world.customer, frequency="weekly", end_on=MARCH_1 + timedelta(weeks=999, days=6))
    assert by_count.dates_total == by_date.dates_total == 1000
    assert by_count.next_on == MARCH_1


def test_another_billers_or_an_archived_customer_is_refused(world):
    other_biller, _ = make_biller("Umbrella")
    stranger = make_customer(other_biller, "Stranger")
    with time_machine.travel(at(MARCH_1), tick=False), pytest.raises(RecurringError) as refused:
        recurring_create(biller=world.biller, actor=world.owner, fields=fields(stranger))
    assert refused.value.errors == {"customer": ["Choose one of your customers."]}


def test_creating_is_recorded_with_who(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer, world.owner)
    [change] = template.changes.all()
    assert (change.kind, change.actor) == ("created", world.owner)
    assert change.data["after"]["total_cents"] == 35000


def test_an_edit_applies_to_the_invoices_not_yet_issued(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer, world.owner)
        [first] = recurring_run().issues
        changed = fields(world.customer, lines=[Line("Managed hosting", Decimal(1), 30000)], count=6)
        recurring_update(template=template, actor=world.owner, fields=changed)
        with pytest.raises(RecurringError) as refused:
            recurring_update(
                template=template, actor=world.owner, fields=fields(world.customer, start_on=date(2027, 3, 5))
            )
        assert refused.value.errors == {
            "start_on": ["Invoices were already issued on this schedule; its start date can't change."]
        }
    with time_machine.travel(at(date(2027, 4, 1)), tick=False):
        [second] = recurring_run().issues
    assert (issued(first).total_cents, issued(second).total_cents) == (35000, 30000)
    edit = template.changes.get(kind="edited")
    assert edit.actor == world.owner
    assert (edit.data["before"]["total_cents"], edit.data["after"]["total_cents"]) == (35000, 30000)


def test_skipping_an_upcoming_date_is_audited_and_no_invoice_comes_on_it(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer, start_on=date(2027, 3, 10))
        with pytest.raises(RecurringError) as refused:
            recurring_skip(template=template, actor=world.owner, scheduled_on=date(2027, 4, 10), reason="  ")
        assert refused.value.errors == {"reason": ["Enter the reason for skipping this date."]}
        with pytest.raises(RecurringError) as refused:
            recurring_skip(template=template, actor=world.owner, scheduled_on=date(2027, 4, 11), reason="Closed")
        assert refused.value.errors == {
            "scheduled_on": ["Apr 11, 2027 is not an upcoming date of this recurring invoice."]
        }
        recurring_skip(template=template, actor=world.owner, scheduled_on=date(2027, 4, 10), reason="Office closed")
        with pytest.raises(RecurringError):
            recurring_skip(template=template, actor=world.owner, scheduled_on=date(2027, 4, 10), reason="Again")
    with time_machine.travel(at(date(2027, 5, 10)), tick=False):
        report = recurring_run()
    assert [(i.scheduled_on, i.status) for i in report.issues] == [
        (date(2027, 3, 10), IssueStatus.ISSUED),
        (date(2027, 4, 10), IssueStatus.SKIPPED),
        (date(2027, 5, 10), IssueStatus.ISSUED),
    ]
    assert Invoice.objects.count() == 2
    change = template.changes.get(kind="skipped")
    assert (change.actor, change.reason, change.data) == (world.owner, "Office closed", {"date": "2027-04-10"})


def test_a_held_invoice_can_be_skipped_but_not_sent_after(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer, delivery="review")
        [issue] = recurring_run().issues
        recurring_skip(template=template, actor=world.owner, scheduled_on=MARCH_1, reason="Not this month")
        with pytest.raises(RecurringError):
            recurring_issue_send(issue=issue, actor=world.owner)
    issue.refresh_from_db()
    assert (issue.status, issue.note, issue.actor) == (IssueStatus.SKIPPED, "Not this month", world.owner)
    assert not Invoice.objects.exists()


def test_paused_nothing_is_issued_and_resuming_skips_the_dates_that_passed(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer, world.owner, frequency="weekly")
        recurring_run()
        recurring_pause(template=template, actor=world.owner, reason="Contract under renegotiation")
    with time_machine.travel(at(date(2027, 3, 29)), tick=False):
        assert recurring_run().issues == []
        recurring_resume(template=template, actor=world.owner)
        [issue] = recurring_run().issues  # today's date, not the three that passed while paused
    assert issue.scheduled_on == date(2027, 3, 29)
    skipped = RecurringIssue.objects.filter(status=IssueStatus.SKIPPED).order_by("scheduled_on")
    assert [(i.scheduled_on, i.note, i.actor) for i in skipped] == [
        (date(2027, 3, 8), "Paused on that date", world.owner),
        (date(2027, 3, 15), "Paused on that date", world.owner),
        (date(2027, 3, 22), "Paused on that date", world.owner),
    ]
    kinds = [(c.kind, c.actor, c.reason) for c in template.changes.order_by("pk")]
    assert kinds == [
        ("created", world.owner, ""),
        ("paused", world.owner, "Contract under renegotiation"),
        ("resumed", world.owner, ""),
    ]
    assert Invoice.objects.count() == 2


def test_pausing_twice_or_resuming_an_active_one_is_refused(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer)
        with pytest.raises(RecurringError):
            recurring_resume(template=template, actor=world.owner)
        recurring_pause(template=template, actor=world.owner)
        with pytest.raises(RecurringError):
            recurring_pause(template=template, actor=world.owner)


def test_deleting_stops_it_and_keeps_the_invoices_and_history(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer, world.owner)
        recurring_run()
        recurring_delete(template=template, actor=world.owner, reason="Customer left")
    with time_machine.travel(at(date(2027, 6, 1)), tick=False):
        assert recurring_run().issues == []
    template.refresh_from_db()
    assert template.status == TemplateStatus.DELETED and Invoice.objects.count() == 1
    assert template.changes.filter(kind="deleted", actor=world.owner, reason="Customer left").exists()


def test_moving_the_start_drops_the_dates_skipped_on_the_old_schedule(world):
    with time_machine.travel(at(MARCH_1), tick=False):
        template = make_template(world.customer, start_on=date(2027, 3, 10))
        recurring_skip(template=template, actor=world.owner, scheduled_on=date(2027, 4, 10), reason="Closed")
        recurring_update(
            template=template, actor=world.owner, fields=fields(world.customer, start_on=date(2027, 3, 15))
        )
    with time_machine.travel(at(date(2027, 4, 20)), tick=False):
        report = recurring_run()
    assert [(i.scheduled_on, i.status) for i in report.issues] == [
        (date(2027, 3, 15), IssueStatus.ISSUED),
        (date(2027, 4, 15), IssueStatus.ISSUED),
    ]
    assert template.changes.get(kind="edited").data["before"]["skipped"] == ["2027-04-10"]
