"""Whether and when a returned payment is tried again (pure: no database, easy to test exhaustively).

NACHA lets an originator reinitiate a debit the customer's bank returned for insufficient (R01) or
uncollected (R09) funds at most twice, within 180 days of the original entry's settlement date, and
never after a stop payment (R08) or to get round a return for any other reason (NACHA.md, "Retries").
On top of those limits the biller's policy says how many retries (none, one or two) and when: a number
of banking days after the return was imported, or the next 1st or 15th of a month (the first banking
day on or after it). Remit adds its own stops: the customer's authorization is gone (the account was
removed or blocked), the customer skipped or cancelled a retry of the chain, or a newer payment
already covers the invoices (the retry would pay them twice).

A *chain* is the original payment and its retries; every retry points at the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from remit.lib.banking_days import add_banking_days, on_or_after

RETRYABLE = frozenset({"R01", "R09"})
STOP_PAYMENT = "R08"
MAX_RETRIES = 2  # NACHA: an entry may be reinitiated at most twice
WINDOW = timedelta(days=180)  # NACHA: within 180 days of the original entry's settlement date
MAX_DAYS = 30  # the policy's longest wait, in banking days
DESCRIPTION = "RETRY PYMT"  # the company entry description NACHA reserves for reinitiated entries

AFTER_DAYS = "days"
SEMIMONTHLY = "semimonthly"
TIMINGS = {AFTER_DAYS: "After a number of banking days", SEMIMONTHLY: "On the next 1st or 15th"}


@dataclass(frozen=True)
class Policy:
    """The biller's retry policy: how many retries (0 = off), and when."""

    retries: int = 0
    timing: str = AFTER_DAYS
    days: int = 3


def policy_problems(*, retries: int | None, timing: str, days: int | None) -> dict[str, str]:
    """Every problem with a policy, by field; empty when NACHA's limits and Remit's allow it."""
    problems: dict[str, str] = {}
    if retries is None or not 0 <= retries <= MAX_RETRIES:
        problems["retries"] = (
            f"{retries if retries is not None else 'That'} retries is beyond NACHA's limit: a returned payment may be "
            f"tried again at most {MAX_RETRIES} times. Choose off, once or twice."
        )
    if timing not in TIMINGS:
        problems["timing"] = "Choose when to retry: after a number of banking days, or on the next 1st or 15th."
    elif timing == AFTER_DAYS and (days is None or not 1 <= days <= MAX_DAYS):
        problems["days"] = (
            f"Enter a number of banking days from 1 to {MAX_DAYS} (longer waits risk NACHA's 180-day limit)."
        )
    return problems


def retry_date(policy: Policy, *, returned_on: date, earliest: date) -> date:
    """The Pay On date of a retry planned on ``returned_on``: by the policy, never before ``earliest``
    (the first date a payment made now can have). On the next 1st/15th: the first banking day on or
    after a 1st or a 15th after ``returned_on`` that is not before ``earliest``."""
    if policy.timing == AFTER_DAYS:
        return max(add_banking_days(returned_on, policy.days), earliest)
    day = returned_on
    while True:
        day = _next_first_or_fifteenth(day)
        candidate = on_or_after(day)
        if candidate >= earliest:
            return candidate


def _next_first_or_fifteenth(day: date) -> date:
    if day.day < 15:
        return day.replace(day=15)
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


@dataclass(frozen=True)
class Chain:
    """What happened to a payment's chain so far: the original's effective (settlement) date, the
    return code of every returned payment of it, how many retries were made, and whether one of them
    was cancelled (skipped by the customer, or called off because its account or invoices went)."""

    original_effective: date
    codes: tuple[str, ...]
    retries: int
    cancelled: bool = False


@dataclass(frozen=True)
class Facts:
    """A payment just returned with ``code``, its chain, and what the books say now."""

    code: str
    chain: Chain
    account_usable: bool  # the bank account is active and its authorization not ended
    covered: bool  # a newer payment already covers (part of) the invoices, or one is void


@dataclass(frozen=True)
class Decision:
    retry_on: date | None  # None: no retry
    reason: str  # why not, or "" when there is one


def decide(policy: Policy, facts: Facts, *, returned_on: date, earliest: date) -> Decision:
    """Whether the payment just returned is tried again, and on which date."""
    chain = facts.chain
    if policy.retries <= 0:
        return Decision(None, "Retries are off.")
    if facts.code not in RETRYABLE:
        return Decision(None, f"{facts.code} returns are not retried (only R01 and R09).")
    if STOP_PAYMENT in chain.codes:
        return Decision(None, "The customer stopped a payment of this chain (R08).")
    if chain.cancelled:
        return Decision(None, "A retry of this payment was skipped or cancelled.")
    if chain.retries >= min(policy.retries, MAX_RETRIES):
        return Decision(None, f"Already retried {chain.retries} time{'s' if chain.retries != 1 else ''}.")
    if not facts.account_usable:
        return Decision(None, "The bank account can no longer be debited (its authorization ended).")
    if facts.covered:
        return Decision(None, "Another payment already covers the invoices.")
    day = retry_date(policy, returned_on=returned_on, earliest=earliest)
    if day > chain.original_effective + WINDOW:
        return Decision(None, "More than 180 days after the original payment's settlement date.")
    return Decision(day, "")
