from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from remit.lib.banking_days import is_banking_day
from remit.payments.dates import earliest_pay_on, pay_on_problem

NY = ZoneInfo("America/New_York")
CUTOFF = time(16, 0)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def test_before_the_cutoff_the_next_banking_day_after_it_the_one_after():
    wednesday = date(2026, 12, 2)
    assert earliest_pay_on(at(wednesday, 10), CUTOFF) == date(2026, 12, 3)
    assert earliest_pay_on(at(wednesday, 16, 0), CUTOFF) == date(2026, 12, 4)
    friday = date(2026, 12, 4)
    assert earliest_pay_on(at(friday, 17), CUTOFF) == date(2026, 12, 8)  # Monday's file → Tuesday


def test_holidays_and_weekends():
    thanksgiving = date(2026, 11, 26)
    assert earliest_pay_on(at(thanksgiving, 9), CUTOFF) == date(2026, 11, 30)  # Friday's file → Monday
    saturday = date(2026, 11, 28)
    assert earliest_pay_on(at(saturday, 9), CUTOFF) == date(2026, 12, 1)
    assert earliest_pay_on(at(date(2026, 12, 24), 9), CUTOFF) == date(2026, 12, 28)  # Christmas Friday closed


def problem(day: date, now: datetime) -> str:
    return pay_on_problem(day, now_local=now, cutoff=CUTOFF) or ""


def test_problems_are_explained():
    now = at(date(2026, 12, 2), 10)
    assert problem(date(2026, 12, 3), now) == ""
    assert "in the past" in problem(date(2026, 12, 1), now)
    assert "not a banking day (a weekend)" in problem(date(2026, 12, 5), now)
    assert "Christmas Day, a Federal Reserve holiday" in problem(date(2026, 12, 25), now)
    assert "too soon" in problem(date(2026, 12, 2), now)
    assert "at most a year" in problem(date(2028, 1, 3), now)


@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
    st.times(),
)
def test_the_earliest_pay_on_is_always_a_future_banking_day_after_a_file_day(naive_now, cutoff):
    now = naive_now.replace(tzinfo=NY)
    earliest = earliest_pay_on(now, cutoff)
    assert is_banking_day(earliest)
    assert earliest > now.date()
    assert pay_on_problem(earliest, now_local=now, cutoff=cutoff) is None
    # At least one banking day lies between now and the Pay On date: the day the file is sent.
    day, file_days = now.date(), 0
    while day < earliest:
        if is_banking_day(day) and (day > now.date() or now.time() < cutoff):
            file_days += 1
        day += timedelta(days=1)
    assert file_days >= 1
