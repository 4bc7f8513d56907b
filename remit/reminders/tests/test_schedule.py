"""The schedule's steps: any number before, on and after the due date; duplicates, offsets beyond a
year, empty subjects refused at the field with nothing saved; every change audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.reminders import rules
from remit.reminders.models import ReminderChange, ReminderStep
from remit.reminders.settings import ReminderError, reminder_step_add, reminder_step_change, reminder_step_remove
from remit.test import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def add(world, offset, subject="Reminder", message=""):
    return reminder_step_add(
        biller=world.biller, actor=world.owner, offset_days=offset, subject=subject, message=message
    )


def test_steps_before_on_and_after_the_due_date(world):
    for offset in (30, -7, 0, 3, 14):
        add(world, offset)
    assert list(ReminderStep.objects.values_list("offset_days", flat=True)) == [-7, 0, 3, 14, 30]
    assert ReminderChange.objects.filter(kind="step_added").count() == 5


@pytest.mark.parametrize(
    ("offset", "subject", "field"),
    [(366, "Late", "offset_days"), (-400, "Early", "offset_days"), (None, "x", "offset_days"), (5, "   ", "subject")],
)
def test_bad_steps_are_refused_at_the_field(world, offset, subject, field):
    with pytest.raises(ReminderError) as caught:
        add(world, offset, subject)
    assert field in caught.value.errors
    assert not ReminderStep.objects.exists() and not ReminderChange.objects.exists()


def test_a_duplicate_offset_is_refused(world):
    add(world, 3)
    with pytest.raises(ReminderError) as caught:
        add(world, 3, "Again")
    assert "offset_days" in caught.value.errors
    step = add(world, 7)
    with pytest.raises(ReminderError):
        reminder_step_change(step=step, actor=world.owner, offset_days=3, subject="x", message="")
    assert ReminderStep.objects.count() == 2


def test_change_and_remove_are_audited_before_and_after(world):
    step = add(world, 3, "Three days")
    reminder_step_change(step=step, actor=world.owner, offset_days=5, subject="Five days", message="Please pay.")
    reminder_step_remove(step=step, actor=world.owner)
    changed, removed = ReminderChange.objects.filter(kind__in=["step_changed", "step_removed"]).order_by("pk")
    assert changed.before["offset_days"] == 3 and changed.after == {
        "offset_days": 5,
        "subject": "Five days",
        "message": "Please pay.",
    }
    assert removed.before["subject"] == "Five days" and removed.after == {}


def test_whole_numbers_only():
    assert rules.whole_number("-7") == -7
    assert rules.whole_number(" 14 ") == 14
    assert rules.whole_number("−3") == -3
    assert rules.whole_number("1.5") is None
    assert rules.whole_number("") is None
    assert rules.whole_number("9999999") is None


@given(
    offsets=st.sets(st.integers(-365, 365), min_size=1, max_size=8),
    due_shift=st.integers(-800, 800),
    sent=st.sets(st.integers(-365, 365), max_size=3),
)
def test_the_windows_say_what_latest_due_step_says(offsets, due_shift, sent):
    """The round's SQL (a due-date window per step, minus invoices with a step at or after it sent)
    picks exactly the step the pure rule picks, for any schedule, due date and history."""
    today = date(2026, 4, 10)
    due = today + timedelta(days=due_shift)
    issue = due - timedelta(days=400)  # the issue-date rule is checked per row, after the SQL
    expected = rules.latest_due_step(sorted(offsets), due_date=due, issue_date=issue, today=today, sent=sorted(sent))
    picked = [
        offset
        for offset, after, up_to in rules.step_windows(sorted(offsets), today)
        if (after is None or due > after) and due <= up_to and not any(done >= offset for done in sent)
    ]
    assert picked == ([expected] if expected is not None else [])
