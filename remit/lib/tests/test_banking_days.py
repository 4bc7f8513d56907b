from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from remit.lib.banking_days import add_banking_days, banking_days, is_banking_day, next_banking_day, on_or_after


def test_fed_rules_from_nacha_md():
    assert not is_banking_day(date(2022, 12, 26))  # Christmas on a Sunday closes the Monday
    assert is_banking_day(date(2026, 7, 3))  # Independence Day on a Saturday: Friday stays open
    assert not is_banking_day(date(2026, 11, 26))  # Thanksgiving
    assert not is_banking_day(date(2026, 11, 28))  # Saturday
    assert is_banking_day(date(2026, 11, 27))  # the Friday after Thanksgiving is open


def test_next_and_on_or_after():
    assert next_banking_day(date(2026, 11, 25)) == date(2026, 11, 27)
    assert on_or_after(date(2026, 11, 26)) == date(2026, 11, 27)
    assert on_or_after(date(2026, 11, 27)) == date(2026, 11, 27)
    assert next_banking_day(date(2026, 12, 24)) == date(2026, 12, 28)


def test_add_banking_days_counts_from_a_closed_day():
    assert add_banking_days(date(2026, 11, 29), -2) == date(
        2026, 11, 25
    )  # Sunday, minus 2 → Wednesday (skips Thanksgiving)
    assert add_banking_days(date(2026, 11, 25), 1) == date(2026, 11, 27)
    assert add_banking_days(date(2026, 11, 25), 0) == date(2026, 11, 25)


def test_banking_days_in_a_range():
    days = banking_days(date(2026, 12, 21), date(2026, 12, 31))
    assert date(2026, 12, 25) not in days
    assert len(days) == 8


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.integers(min_value=-30, max_value=30))
def test_add_banking_days_always_lands_on_a_banking_day(start, count):
    result = add_banking_days(start, count)
    if count:
        assert is_banking_day(result)
        assert (result > start) == (count > 0)
    assert next_banking_day(start) - start <= timedelta(days=5)
