"""The pure core of the return rates: categories, the 60-day window, exact thresholds and levels, and
the daily series (which must agree with the figures of each day computed alone)."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from remit.ach.return_rates import (
    ALL,
    LEVELS,
    THRESHOLDS,
    WINDOW_DAYS,
    Category,
    DailyCounts,
    Rate,
    figures,
    level_of,
    percent,
    series,
    window_of,
)

DAY = date(2026, 6, 30)
CODES = ["R01", "R02", "R03", "R04", "R05", "R07", "R08", "R09", "R10", "R11", "R16", "R29", "R51"]


def test_window_is_the_sixty_days_that_end_on_the_day() -> None:
    first, last = window_of(DAY)
    assert last == DAY
    assert (last - first).days + 1 == WINDOW_DAYS == 60


SPLIT = ["R05", "R07", "R10", "R11", "R29", "R51", "R02", "R03", "R04", "R01"]


def test_codes_fall_in_their_categories() -> None:
    counts = DailyCounts(
        entries={(DAY, "WEB"): 1000},
        returns={(DAY, "WEB", code): 1 for code in SPLIT},
    )
    result = figures(counts, day=DAY, scope=ALL)
    assert result.rate(Category.UNAUTHORIZED).returns == 6
    assert result.rate(Category.ADMINISTRATIVE).returns == 3
    assert result.rate(Category.OVERALL).returns == 10


def test_days_outside_the_window_are_not_counted() -> None:
    first, _ = window_of(DAY)
    before = first - timedelta(days=1)
    counts = DailyCounts(
        entries={(first, "WEB"): 10, (before, "WEB"): 90, (DAY + timedelta(days=1), "WEB"): 5},
        returns={(first, "WEB", "R01"): 1, (before, "WEB", "R01"): 7},
    )
    result = figures(counts, day=DAY, scope=ALL)
    assert result.entries == 10
    assert result.rate(Category.OVERALL).returns == 1


def test_scopes_split_by_sec_code() -> None:
    counts = DailyCounts(
        entries={(DAY, "WEB"): 100, (DAY, "CCD"): 50},
        returns={(DAY, "WEB", "R10"): 1, (DAY, "CCD", "R29"): 2},
    )
    assert figures(counts, day=DAY, scope="WEB").rate(Category.UNAUTHORIZED).rate == Fraction(1, 100)
    assert figures(counts, day=DAY, scope="CCD").rate(Category.UNAUTHORIZED).rate == Fraction(2, 50)
    assert figures(counts, day=DAY, scope=ALL).rate(Category.UNAUTHORIZED).rate == Fraction(3, 150)


def test_no_entries_is_a_rate_of_zero() -> None:
    counts = DailyCounts(entries={}, returns={(DAY, "WEB", "R10"): 1})
    rate = figures(counts, day=DAY, scope=ALL).rate(Category.UNAUTHORIZED)
    assert rate.rate == 0 and rate.level == 0


def test_thresholds_are_nachas() -> None:
    assert THRESHOLDS[Category.UNAUTHORIZED] == Fraction(5, 1000)
    assert THRESHOLDS[Category.ADMINISTRATIVE] == Fraction(3, 100)
    assert THRESHOLDS[Category.OVERALL] == Fraction(15, 100)


# Every level of every threshold, at its boundary: (category, entries, returns just at the level).
BOUNDARIES = [
    (Category.UNAUTHORIZED, 400, 1, 50),  # 0.25% = 50% of 0.5%
    (Category.UNAUTHORIZED, 250, 1, 80),  # 0.4%
    (Category.UNAUTHORIZED, 200, 1, 100),  # 0.5%
    (Category.ADMINISTRATIVE, 200, 3, 50),  # 1.5%
    (Category.ADMINISTRATIVE, 125, 3, 80),  # 2.4%
    (Category.ADMINISTRATIVE, 100, 3, 100),  # 3%
    (Category.OVERALL, 40, 3, 50),  # 7.5%
    (Category.OVERALL, 25, 3, 80),  # 12%
    (Category.OVERALL, 20, 3, 100),  # 15%
]


def test_each_level_is_reached_exactly_at_its_boundary() -> None:
    for category, entries, returns, level in BOUNDARIES:
        assert Rate(category, entries, returns).level == level, (category, level)
        # one more entry and the rate is just below the level
        assert Rate(category, entries + 1, returns).level < level, (category, level)


def test_status_names_the_level() -> None:
    assert Rate(Category.OVERALL, 100, 0).status == "Below 50%"
    assert Rate(Category.OVERALL, 20, 3).status == "Over the threshold"


def test_percent() -> None:
    assert percent(Fraction(1, 400)) == "0.25%"
    assert percent(Fraction(3, 20)) == "15.00%"
    assert percent(Fraction(1, 3), 1) == "33.3%"
    assert percent(Fraction(0)) == "0.00%"


# --- Properties ----------------------------------------------------------------------------------

days = st.integers(min_value=0, max_value=150).map(lambda n: DAY - timedelta(days=n))
entry_counts = st.dictionaries(st.tuples(days, st.sampled_from(["WEB", "CCD"])), st.integers(0, 500), max_size=40)
return_counts = st.dictionaries(
    st.tuples(days, st.sampled_from(["WEB", "CCD"]), st.sampled_from(CODES)), st.integers(0, 20), max_size=40
)
counts_strategy = st.builds(DailyCounts, entries=entry_counts, returns=return_counts)


@settings(max_examples=150, deadline=None)
@given(counts=counts_strategy, scope=st.sampled_from([ALL, "WEB", "CCD"]))
def test_series_agrees_with_each_day_alone(counts: DailyCounts, scope: str) -> None:
    first = DAY - timedelta(days=89)
    trend = series(counts, first=first, last=DAY, scope=scope)
    assert [f.day for f in trend] == [first + timedelta(days=n) for n in range(90)]
    for point in [*trend[::7], trend[-1]]:
        assert point == figures(counts, day=point.day, scope=scope)


@settings(max_examples=150, deadline=None)
@given(counts=counts_strategy, day=days)
def test_categories_and_scopes_add_up(counts: DailyCounts, day: date) -> None:
    every = figures(counts, day=day, scope=ALL)
    web, ccd = figures(counts, day=day, scope="WEB"), figures(counts, day=day, scope="CCD")
    assert every.entries == web.entries + ccd.entries
    for category in Category:
        assert every.rate(category).returns == web.rate(category).returns + ccd.rate(category).returns
    overall = every.rate(Category.OVERALL).returns
    assert every.rate(Category.UNAUTHORIZED).returns + every.rate(Category.ADMINISTRATIVE).returns <= overall


@given(
    category=st.sampled_from(list(Category)),
    entries=st.integers(1, 10_000),
    returns=st.integers(0, 10_000),
)
def test_level_is_the_highest_reached(category: Category, entries: int, returns: int) -> None:
    rate = Rate(category, entries, returns)
    share = Fraction(returns, entries) / THRESHOLDS[category]
    assert rate.level == max((lv for lv in LEVELS if share * 100 >= lv), default=0)
    assert rate.level == level_of(rate.rate, category)


@given(category=st.sampled_from(list(Category)), entries=st.integers(1, 5000), returns=st.integers(0, 200))
def test_more_returns_never_lower_the_level(category: Category, entries: int, returns: int) -> None:
    assert Rate(category, entries, returns + 1).level >= Rate(category, entries, returns).level
    assert Rate(category, entries + 1, returns).level <= Rate(category, entries, returns).level
