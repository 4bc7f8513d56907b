"""Return rates against NACHA's thresholds (NACHA.md, "Return-rate thresholds"): a pure core, with no
database, fed with counts per day by ``return_rate_data.py``.

**What is counted** (NACHA.md says "for each originator, debit entries, rolling 60 days"; the choice
made here, as the NACHA rules compute it and an ODFI reports it):

- the **window** of a day D is the 60 calendar days that end on D (D − 59 … D), in the biller's time
  zone;
- the **denominator** is the number of debit entries the biller originated in the window (each entry
  counted on the day its file was written);
- the **numerator** is the number of returns of the biller's debit entries *received* in the window
  (counted on the day the return was imported), whichever day the returned entry was originated.
  Returns and entries of one window are therefore not always the same entries: a rate can, in a
  window with few entries, exceed 100%;
- **unauthorized** returns are R05, R07, R10, R11, R29 and R51; **administrative** ones R02, R03 and
  R04; **overall** counts every return code;
- a rate is compared with its threshold exactly (fractions, no rounding): a **level** (50%, 80% or
  100% of the threshold) is reached when ``returns / entries >= level × threshold``. With no entries
  in the window the rate is zero.

Rates are computed per SEC code (``WEB``, ``CCD``) and for all of them together (``ALL``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from itertools import accumulate

WINDOW_DAYS = 60
SEC_CODES = ("WEB", "CCD")
ALL = "all"  # every SEC code together
SCOPES = (ALL, *SEC_CODES)

UNAUTHORIZED_CODES = frozenset({"R05", "R07", "R10", "R11", "R29", "R51"})
ADMINISTRATIVE_CODES = frozenset({"R02", "R03", "R04"})

LEVELS = (50, 80, 100)  # percent of a threshold at which the biller's owners are told


class Category(StrEnum):
    UNAUTHORIZED = "unauthorized"
    ADMINISTRATIVE = "administrative"
    OVERALL = "overall"

    @property
    def label(self) -> str:
        return {"unauthorized": "Unauthorized", "administrative": "Administrative", "overall": "Overall"}[self.value]

    @property
    def codes_label(self) -> str:
        if self is Category.UNAUTHORIZED:
            return "R05, R07, R10, R11, R29, R51"
        if self is Category.ADMINISTRATIVE:
            return "R02, R03, R04"
        return "every return code"


THRESHOLDS: dict[Category, Fraction] = {
    Category.UNAUTHORIZED: Fraction(5, 1000),
    Category.ADMINISTRATIVE: Fraction(3, 100),
    Category.OVERALL: Fraction(15, 100),
}


def categories_of(code: str) -> tuple[Category, ...]:
    """The categories a return with ``code`` counts in (overall always; at most one other)."""
    if code in UNAUTHORIZED_CODES:
        return (Category.UNAUTHORIZED, Category.OVERALL)
    if code in ADMINISTRATIVE_CODES:
        return (Category.ADMINISTRATIVE, Category.OVERALL)
    return (Category.OVERALL,)


def window_of(day: date) -> tuple[date, date]:
    """The first and last day (both included) of the rolling window that ends on ``day``."""
    return day - timedelta(days=WINDOW_DAYS - 1), day


def in_scope(sec_code: str, scope: str) -> bool:
    return scope == ALL or sec_code == scope


@dataclass(frozen=True)
class DailyCounts:
    """What happened on each day: debit entries originated per (day, SEC code), and returns received
    per (day, SEC code of the returned entry, return code). Days not named had nothing."""

    entries: Mapping[tuple[date, str], int]
    returns: Mapping[tuple[date, str, str], int]


@dataclass(frozen=True)
class Rate:
    """One category's figure in one window and scope."""

    category: Category
    entries: int
    returns: int

    @property
    def threshold(self) -> Fraction:
        return THRESHOLDS[self.category]

    @property
    def rate(self) -> Fraction:
        return Fraction(self.returns, self.entries) if self.entries else Fraction(0)

    @property
    def share_of_threshold(self) -> Fraction:
        """The rate as a part of its threshold: 1 is the threshold itself."""
        return self.rate / self.threshold

    @property
    def level(self) -> int:
        """The highest of ``LEVELS`` reached (0: none)."""
        return level_of(self.rate, self.category)

    @property
    def status(self) -> str:
        return STATUS[self.level]


STATUS = {0: "Below 50%", 50: "At 50% of the threshold", 80: "At 80% of the threshold", 100: "Over the threshold"}


def level_of(rate: Fraction, category: Category) -> int:
    reached = [level for level in LEVELS if rate >= THRESHOLDS[category] * Fraction(level, 100)]
    return max(reached, default=0)


@dataclass(frozen=True)
class Figures:
    """The rates of one scope (a SEC code, or ``ALL``) in the window that ends on ``day``."""

    scope: str
    day: date
    entries: int
    rates: tuple[Rate, ...]  # in Category order

    def rate(self, category: Category) -> Rate:
        return next(rate for rate in self.rates if rate.category is category)


def figures(counts: DailyCounts, *, day: date, scope: str) -> Figures:
    """The three rates of ``scope`` in the window that ends on ``day``."""
    first, last = window_of(day)
    entries = sum(n for (when, sec), n in counts.entries.items() if first <= when <= last and in_scope(sec, scope))
    returned = dict.fromkeys(Category, 0)
    for (when, sec, code), n in counts.returns.items():
        if first <= when <= last and in_scope(sec, scope):
            for category in categories_of(code):
                returned[category] += n
    rates = tuple(Rate(category, entries, returned[category]) for category in Category)
    return Figures(scope=scope, day=day, entries=entries, rates=rates)


def series(counts: DailyCounts, *, first: date, last: date, scope: str) -> list[Figures]:
    """The figures of each day from ``first`` to ``last`` (both included): the trend. Linear in the
    number of days and of counted rows (window sums from prefix sums)."""
    if last < first:
        return []
    span = (last - first).days + 1
    start = first - timedelta(days=WINDOW_DAYS - 1)
    entries = [0] * (span + WINDOW_DAYS - 1)
    returned = {category: [0] * len(entries) for category in Category}
    for (when, sec), n in counts.entries.items():
        if start <= when <= last and in_scope(sec, scope):
            entries[(when - start).days] += n
    for (when, sec, code), n in counts.returns.items():
        if start <= when <= last and in_scope(sec, scope):
            for category in categories_of(code):
                returned[category][(when - start).days] += n
    entry_sums = _window_sums(entries)
    return_sums = {category: _window_sums(values) for category, values in returned.items()}
    return [
        Figures(
            scope=scope,
            day=first + timedelta(days=index),
            entries=entry_sums[index],
            rates=tuple(Rate(category, entry_sums[index], return_sums[category][index]) for category in Category),
        )
        for index in range(span)
    ]


def _window_sums(values: list[int]) -> list[int]:
    """The sum of each run of ``WINDOW_DAYS`` consecutive values, from prefix sums."""
    prefix = [0, *accumulate(values)]
    return [prefix[index + WINDOW_DAYS] - prefix[index] for index in range(len(values) - WINDOW_DAYS + 1)]


def crossed(rates: Iterable[Rate]) -> dict[Category, int]:
    """The level each category has reached (0: none)."""
    return {rate.category: rate.level for rate in rates}


def percent(value: Fraction, places: int = 2) -> str:
    """``value`` (a fraction of 1) as a percentage, e.g. Fraction(1, 400) → "0.25%"."""
    scaled = round(value * 100 * 10**places)
    whole, part = divmod(abs(scaled), 10**places)
    sign = "-" if scaled < 0 else ""
    return f"{sign}{whole}.{part:0{places}d}%" if places else f"{sign}{whole}%"
