"""The schedule's dates (a pure core): month ends, quarters, Feb 29, ends and the 1,000 cap."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.recurring.schedule import MAX_INVOICES, dates_count, nth_date, schedule_dates


def dates(start, frequency, n, **kwargs):
    return [day for _, day in schedule_dates(start, frequency, count=n, **kwargs)]


@pytest.mark.parametrize(
    ("start", "frequency", "expected"),
    [
        (
            date(2027, 1, 31),
            "monthly",
            [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)],
        ),
        (
            date(2028, 1, 31),
            "monthly",
            [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30), date(2028, 5, 31)],
        ),
        (
            date(2027, 1, 30),
            "monthly",
            [date(2027, 1, 30), date(2027, 2, 28), date(2027, 3, 30), date(2027, 4, 30), date(2027, 5, 30)],
        ),
        (
            date(2027, 11, 30),
            "quarterly",
            [date(2027, 11, 30), date(2028, 2, 29), date(2028, 5, 30), date(2028, 8, 30), date(2028, 11, 30)],
        ),
        (
            date(2027, 8, 31),
            "quarterly",
            [date(2027, 8, 31), date(2027, 11, 30), date(2028, 2, 29), date(2028, 5, 31), date(2028, 8, 31)],
        ),
        (
            date(2028, 2, 29),
            "yearly",
            [date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28), date(2031, 2, 28), date(2032, 2, 29)],
        ),
        (
            date(2027, 12, 29),
            "weekly",
            [date(2027, 12, 29), date(2028, 1, 5), date(2028, 1, 12), date(2028, 1, 19), date(2028, 1, 26)],
        ),
        (
            date(2027, 12, 15),
            "monthly",
            [date(2027, 12, 15), date(2028, 1, 15), date(2028, 2, 15), date(2028, 3, 15), date(2028, 4, 15)],
        ),
    ],
)
def test_dates_keep_the_start_day_or_the_last_day_of_a_shorter_month(start, frequency, expected):
    assert dates(start, frequency, 5) == expected


@pytest.mark.parametrize(
    ("start", "frequency", "end_on", "count"),
    [
        (date(2027, 1, 1), "monthly", date(2027, 12, 31), 12),
        (date(2027, 1, 1), "monthly", date(2027, 12, 1), 12),  # the end date is included
        (date(2027, 1, 1), "monthly", date(2027, 11, 30), 11),
        (date(2027, 1, 1), "weekly", date(2027, 1, 1), 1),
        (date(2027, 1, 1), "quarterly", date(2027, 12, 31), 4),
        (date(2028, 2, 29), "yearly", date(2032, 2, 28), 4),
        (date(2028, 2, 29), "yearly", date(2032, 2, 29), 5),
        (date(2027, 1, 1), "weekly", date(2046, 2, 28), 1000),  # exactly 1,000 weeks
        (date(2027, 1, 1), "weekly", date(2046, 3, 7), 1001),  # one more: refused by the actions
    ],
)
def test_an_end_date_counts_the_dates_up_to_it(start, frequency, end_on, count):
    assert dates_count(start, frequency, end_on=end_on) == count


def test_without_an_end_a_schedule_has_at_most_a_thousand_dates():
    assert dates_count(date(2027, 1, 4), "weekly") == MAX_INVOICES
    all_dates = list(schedule_dates(date(2027, 1, 4), "weekly"))
    assert len(all_dates) == MAX_INVOICES and all_dates[-1] == (999, date(2027, 1, 4) + timedelta(weeks=999))


def test_a_schedule_past_the_year_9999_stops_there():
    assert dates(date(9999, 6, 1), "monthly", 12) == [date(9999, m, 1) for m in range(6, 13)]


def test_from_and_until_pick_a_window_of_the_same_dates():
    start = date(2027, 1, 31)
    window = list(schedule_dates(start, "monthly", first=2, until=date(2027, 6, 30)))
    assert window == [(2, date(2027, 3, 31)), (3, date(2027, 4, 30)), (4, date(2027, 5, 31)), (5, date(2027, 6, 30))]


FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    frequency=st.sampled_from(["monthly", "quarterly", "yearly"]),
    n=st.integers(min_value=0, max_value=400),
)
def test_each_date_is_in_its_month_on_the_start_day_or_that_months_last(start, frequency, n):
    day = nth_date(start, frequency, n)
    months = start.year * 12 + start.month - 1 + FREQUENCY_MONTHS[frequency] * n
    assert (day.year, day.month) == (months // 12, months % 12 + 1)
    assert day.day == min(start.day, calendar.monthrange(day.year, day.month)[1])


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    frequency=st.sampled_from(["weekly", "monthly", "quarterly", "yearly"]),
    end_offset=st.integers(min_value=0, max_value=3000),
)
def test_the_dates_up_to_an_end_are_increasing_within_it_and_counted_right(start, frequency, end_offset):
    end_on = start + timedelta(days=end_offset)
    found = [day for _, day in schedule_dates(start, frequency, end_on=end_on)]
    assert found[0] == start
    assert all(a < b for a, b in itertools.pairwise(found))
    assert found[-1] <= end_on < nth_date(start, frequency, len(found))
    assert len(found) == dates_count(start, frequency, end_on=end_on)


@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), n=st.integers(0, 1000))
def test_weekly_dates_are_seven_days_apart_on_the_same_weekday(start, n):
    assert nth_date(start, "weekly", n) == start + timedelta(days=7 * n)
