"""Auto Pay's date and amount rules, over random due dates, offsets and moments."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from remit.autopay.rules import autopay_pay_on, split, target_date
from remit.lib.banking_days import is_banking_day
from remit.payments.dates import earliest_pay_on

due_dates = st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31))
offsets = st.integers(min_value=-30, max_value=30)
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2029, 12, 31))
cutoffs = st.times(min_value=time(6, 0), max_value=time(20, 0))


@given(due=due_dates, offset=offsets, now=moments, cutoff=cutoffs)
def test_the_pay_on_date_is_a_banking_day_never_past_and_never_before_the_cutoff_allows(due, offset, now, cutoff):
    pay_on = autopay_pay_on(due, offset, now_local=now, cutoff=cutoff)
    assert is_banking_day(pay_on)
    assert pay_on > now.date()
    assert pay_on >= earliest_pay_on(now, cutoff)


def banking_days_between(first: date, last: date) -> int:
    """Banking days from ``first`` to ``last``, both included."""
    return sum(is_banking_day(first + timedelta(days=n)) for n in range((last - first).days + 1))


@given(due=due_dates, offset=offsets)
def test_the_target_is_exactly_the_chosen_number_of_banking_days_from_the_due_date(due, offset):
    target = target_date(due, offset)
    assert is_banking_day(target)
    if offset > 0:  # the offset-th banking day after the due date
        assert target > due and banking_days_between(due + timedelta(days=1), target) == offset
    elif offset < 0:  # the |offset|-th banking day before it
        assert target < due and banking_days_between(target, due - timedelta(days=1)) == -offset
    else:  # the due date, or the last banking day before it
        assert target <= due and banking_days_between(target, due) == 1


@given(due=due_dates, offset=offsets, now=moments, cutoff=cutoffs)
def test_with_time_enough_it_is_the_target_else_the_earliest_date(due, offset, now, cutoff):
    pay_on = autopay_pay_on(due, offset, now_local=now, cutoff=cutoff)
    assert pay_on == max(target_date(due, offset), earliest_pay_on(now, cutoff))


def test_examples_from_the_calendar():
    # Due Sunday Dec 6, 2026; 2 banking days before: Fri Dec 4 is 1, Thu Dec 3 is 2.
    assert target_date(date(2026, 12, 6), -2) == date(2026, 12, 3)
    # Due Saturday Dec 26, 2026 (Christmas Friday Dec 25 is a Fed holiday): Thu Dec 24, Wed Dec 23.
    assert target_date(date(2026, 12, 26), -2) == date(2026, 12, 23)
    # 0 days with a due date on a weekend: the banking day before, so the money still leaves on time.
    assert target_date(date(2026, 12, 6), 0) == date(2026, 12, 4)
    assert target_date(date(2026, 12, 7), 0) == date(2026, 12, 7)
    # After: 1 banking day after Thursday Dec 24 is Monday Dec 28.
    assert target_date(date(2026, 12, 24), 1) == date(2026, 12, 28)


def test_a_due_date_long_past_is_paid_on_the_earliest_date():
    now = datetime(2026, 11, 26, 10, 0)  # Thanksgiving, a Fed holiday: the file goes Friday
    assert autopay_pay_on(date(2026, 10, 1), -2, now_local=now, cutoff=time(16)) == date(2026, 11, 30)


@given(available=st.integers(min_value=0, max_value=10**9), maximum=st.integers(min_value=1, max_value=10**9))
def test_the_amount_is_what_is_available_up_to_the_maximum_and_the_rest_is_left(available, maximum):
    result = split(available, maximum)
    assert result.pay_cents == min(available, maximum)
    assert result.pay_cents + result.left_cents == available
    assert result.left_cents == 0 or result.pay_cents == maximum
