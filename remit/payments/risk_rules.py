"""The biller's risk rules, the pure core: given the facts of a payment due in a file, which rules it
trips and why, in words that name the figures. No ORM: the export gathers the facts of the day's
payments in a few aggregate queries (``ach.risk_holds``) and asks this module about each.

The five rules (NACHA's 2026 fraud monitoring asks an originator to look at exactly these):

- ``new_account``: the first debit from a bank account (none sent or settled from it before) above
  an amount;
- ``account_change``: an Auto Pay debit from an account added, or made Auto Pay's account, within a
  number of days before its Pay On;
- ``unusual_amount``: a payment more than K times the median of the customer's last 12 settled ACH
  payments (only with at least 3 of them: fewer say nothing about what is usual);
- ``many_accounts``: a payment from one of N or more bank accounts the customer added within 24 hours
  (the export looks at the accounts added in the 30 days before the Pay On);
- ``shared_account``: a payment from an account (routing and number) active at N or more of the
  biller's customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from remit.lib.money import format_cents

NEW_ACCOUNT, ACCOUNT_CHANGE, UNUSUAL_AMOUNT, MANY_ACCOUNTS, SHARED_ACCOUNT = (
    "new_account",
    "account_change",
    "unusual_amount",
    "many_accounts",
    "shared_account",
)
RULE_NAMES = {
    NEW_ACCOUNT: "First debit from a new account",
    ACCOUNT_CHANGE: "Account changed shortly before an Auto Pay debit",
    UNUSUAL_AMOUNT: "Far above the customer's usual",
    MANY_ACCOUNTS: "Many accounts added in a day",
    SHARED_ACCOUNT: "One account at several customers",
}
USUAL_OF = 12  # settled payments the usual amount is the median of
USUAL_AT_LEAST = 3  # fewer settled payments say nothing about what is usual
BURST = timedelta(hours=24)


@dataclass(frozen=True)
class RiskSettings:
    """The biller's rules, each on or off with its parameter (the defaults: ``RiskSettings()``)."""

    new_account_on: bool = True
    new_account_above_cents: int = 250_000
    account_change_on: bool = True
    account_change_days: int = 7
    unusual_amount_on: bool = True
    unusual_amount_times: int = 3
    many_accounts_on: bool = True
    many_accounts_count: int = 3
    shared_account_on: bool = True
    shared_account_customers: int = 2

    @property
    def any_on(self) -> bool:
        return any(
            (
                self.new_account_on,
                self.account_change_on,
                self.unusual_amount_on,
                self.many_accounts_on,
                self.shared_account_on,
            )
        )


@dataclass(frozen=True)
class PaymentFacts:
    """What the rules need to know of one due payment. A fact the export did not gather (because the
    payment can't trip that rule) is None."""

    payment_id: int
    amount_cents: int
    pay_on: date
    account_last4: str
    account_added_on: date
    first_debit: bool = False  # no debit from this account was ever sent or settled
    autopay_account_since: date | None = None  # Auto Pay only: when its account was added or switched to
    settled_amounts: tuple[int, ...] = ()  # the customer's last settled ACH payments, newest first
    accounts_added_in_a_day: int = 1  # the most accounts the customer added within 24 hours, this one among them
    customers_sharing: int = 1  # the biller's customers at which this account is active


@dataclass(frozen=True)
class Trip:
    """A rule a payment trips, and the sentence saying why."""

    rule_code: str
    reason: str


def _day(value: date) -> str:
    return f"{value.day} {value:%b}"


def median_cents(amounts: Sequence[int]) -> Fraction:
    """The median of ``amounts`` (exact: the mean of the middle two of an even count)."""
    ordered = sorted(amounts)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Fraction(ordered[middle])
    return Fraction(ordered[middle - 1] + ordered[middle], 2)


def _cents(value: Fraction) -> str:
    return format_cents(round(value))


def trips(facts: PaymentFacts, rules: RiskSettings) -> list[Trip]:
    """The rules ``facts``' payment trips, in the order of ``RULE_NAMES``."""
    found: list[Trip] = []
    amount, account = facts.amount_cents, f"••••{facts.account_last4}"
    if rules.new_account_on and facts.first_debit and amount > rules.new_account_above_cents:
        found.append(
            Trip(
                NEW_ACCOUNT,
                f"First debit from {account} (added {_day(facts.account_added_on)}) is {format_cents(amount)}, "
                f"above the {format_cents(rules.new_account_above_cents)} set for new accounts",
            )
        )
    since = facts.autopay_account_since
    window = timedelta(days=rules.account_change_days)
    if rules.account_change_on and since is not None and since >= facts.pay_on - window:
        days = (facts.pay_on - since).days
        found.append(
            Trip(
                ACCOUNT_CHANGE,
                f"Auto Pay's account became {account} on {_day(since)}, {days} day{'' if days == 1 else 's'} "
                f"before this debit of {_day(facts.pay_on)} (within the {rules.account_change_days} days set)",
            )
        )
    usual = facts.settled_amounts[:USUAL_OF]
    if rules.unusual_amount_on and len(usual) >= USUAL_AT_LEAST:
        median = median_cents(usual)
        if amount > median * rules.unusual_amount_times:
            found.append(
                Trip(
                    UNUSUAL_AMOUNT,
                    f"{format_cents(amount)} is more than {rules.unusual_amount_times}× the customer's usual "
                    f"{_cents(median)} (the median of its last {len(usual)} settled payments)",
                )
            )
    if rules.many_accounts_on and facts.accounts_added_in_a_day >= rules.many_accounts_count:
        found.append(
            Trip(
                MANY_ACCOUNTS,
                f"{account} is one of {facts.accounts_added_in_a_day} bank accounts the customer added within "
                f"24 hours ({rules.many_accounts_count} or more are held)",
            )
        )
    if rules.shared_account_on and facts.customers_sharing >= rules.shared_account_customers:
        found.append(
            Trip(
                SHARED_ACCOUNT,
                f"{account} is in use at {facts.customers_sharing} of your customers "
                f"({rules.shared_account_customers} or more are held)",
            )
        )
    return found


def hold_reason(found: Sequence[Trip]) -> tuple[str, str]:
    """One hold for a payment however many rules it trips: their codes (comma-separated) and every
    reason."""
    return ",".join(trip.rule_code for trip in found), "; ".join(trip.reason for trip in found) + "."


def account_bursts(added: Iterable[tuple[int, datetime]]) -> dict[int, int]:
    """For each of one customer's bank accounts (id, when added), the most accounts the customer added
    within 24 hours of each other in a window that includes this one (1: none but itself)."""
    ordered = sorted(added, key=lambda item: (item[1], item[0]))
    best = {account_id: 1 for account_id, _ in ordered}
    start = 0
    for end in range(len(ordered)):
        while ordered[end][1] - ordered[start][1] > BURST:
            start += 1
        size = end - start + 1
        for account_id, _ in ordered[start : end + 1]:
            best[account_id] = max(best[account_id], size)
    return best
