"""The risk rules' pure core: each rule at its threshold (just below, at, just above), off, and the
reasons in words with the figures; property tests of the median and of the 24-hour bursts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction
from statistics import median

from hypothesis import given
from hypothesis import strategies as st

from remit.payments.risk_rules import (
    ACCOUNT_CHANGE,
    MANY_ACCOUNTS,
    NEW_ACCOUNT,
    SHARED_ACCOUNT,
    UNUSUAL_AMOUNT,
    PaymentFacts,
    RiskSettings,
    Trip,
    account_bursts,
    hold_reason,
    median_cents,
    trips,
)

PAY_ON = date(2026, 12, 8)
RULES = RiskSettings()


def facts(**changes: object) -> PaymentFacts:
    values: dict[str, object] = {
        "payment_id": 1,
        "amount_cents": 10_000,
        "pay_on": PAY_ON,
        "account_last4": "6789",
        "account_added_on": date(2026, 12, 2),
    }
    values.update(changes)
    return PaymentFacts(**values)  # type: ignore[arg-type]


def codes(found: list[Trip]) -> list[str]:
    return [trip.rule_code for trip in found]


def test_nothing_is_tripped_by_an_ordinary_payment():
    assert trips(facts(), RULES) == []


def test_first_debit_from_a_new_account_above_the_amount_is_held_with_the_figures_named():
    assert trips(facts(first_debit=True, amount_cents=250_000), RULES) == []  # at the amount: not above it
    [trip] = trips(facts(first_debit=True, amount_cents=300_000), RULES)
    assert trip == Trip(
        NEW_ACCOUNT,
        "First debit from ••••6789 (added 2 Dec) is $3,000.00, above the $2,500.00 set for new accounts",
    )
    assert trips(facts(first_debit=True, amount_cents=250_001), RULES)
    assert trips(facts(first_debit=False, amount_cents=900_000), RULES) == []  # not its first debit
    assert trips(facts(first_debit=True, amount_cents=900_000), RiskSettings(new_account_on=False)) == []


def test_an_auto_pay_account_changed_within_the_days_set_is_held():
    edge = PAY_ON - timedelta(days=7)
    [trip] = trips(facts(autopay_account_since=edge), RULES)
    assert trip.rule_code == ACCOUNT_CHANGE
    assert trip.reason == (
        "Auto Pay's account became ••••6789 on 1 Dec, 7 days before this debit of 8 Dec (within the 7 days set)"
    )
    assert trips(facts(autopay_account_since=edge - timedelta(days=1)), RULES) == []
    assert "1 day before" in trips(facts(autopay_account_since=PAY_ON - timedelta(days=1)), RULES)[0].reason
    assert trips(facts(autopay_account_since=None), RULES) == []  # not Auto Pay, or no change
    assert trips(facts(autopay_account_since=edge), RiskSettings(account_change_days=6)) == []
    assert trips(facts(autopay_account_since=edge), RiskSettings(account_change_on=False)) == []


def test_a_payment_far_above_the_median_of_the_last_settled_is_held_only_with_three_of_them():
    usual = (10_000, 12_000, 8_000)  # median $100.00
    assert trips(facts(amount_cents=30_000, settled_amounts=usual), RULES) == []  # exactly 3×: not more
    [trip] = trips(facts(amount_cents=30_001, settled_amounts=usual), RULES)
    assert trip == Trip(
        UNUSUAL_AMOUNT,
        "$300.01 is more than 3× the customer's usual $100.00 (the median of its last 3 settled payments)",
    )
    assert trips(facts(amount_cents=900_000, settled_amounts=usual[:2]), RULES) == []  # two say nothing
    assert trips(facts(amount_cents=30_001, settled_amounts=usual), RiskSettings(unusual_amount_times=4)) == []
    # Only the last 12 count: older payments (given after them, newest first) are left out.
    recent = (1_000,) * 12 + (1_000_000,) * 20
    assert codes(trips(facts(amount_cents=3_001, settled_amounts=recent), RULES)) == [UNUSUAL_AMOUNT]


def test_accounts_added_many_in_a_day_hold_their_payments():
    assert trips(facts(accounts_added_in_a_day=2), RULES) == []
    [trip] = trips(facts(accounts_added_in_a_day=3), RULES)
    assert trip.rule_code == MANY_ACCOUNTS
    assert trip.reason == "••••6789 is one of 3 bank accounts the customer added within 24 hours (3 or more are held)"
    assert trips(facts(accounts_added_in_a_day=3), RiskSettings(many_accounts_count=4)) == []


def test_an_account_at_several_customers_holds_its_payments():
    assert trips(facts(customers_sharing=1), RULES) == []
    [trip] = trips(facts(customers_sharing=2), RULES)
    assert trip == Trip(SHARED_ACCOUNT, "••••6789 is in use at 2 of your customers (2 or more are held)")
    assert trips(facts(customers_sharing=2), RiskSettings(shared_account_on=False)) == []


def test_one_hold_lists_every_reason():
    found = trips(facts(first_debit=True, amount_cents=300_000, customers_sharing=3), RULES)
    assert codes(found) == [NEW_ACCOUNT, SHARED_ACCOUNT]
    code, reason = hold_reason(found)
    assert code == "new_account,shared_account"
    assert reason.startswith("First debit from ••••6789") and "in use at 3 of your customers" in reason
    assert hold_reason(found[:1]) == (NEW_ACCOUNT, found[0].reason + ".")


def test_every_rule_off_trips_nothing():
    off = RiskSettings(
        new_account_on=False,
        account_change_on=False,
        unusual_amount_on=False,
        many_accounts_on=False,
        shared_account_on=False,
    )
    assert not off.any_on
    risky = facts(
        first_debit=True,
        amount_cents=10**9,
        autopay_account_since=PAY_ON,
        settled_amounts=(1, 1, 1),
        accounts_added_in_a_day=9,
        customers_sharing=9,
    )
    assert len(trips(risky, RULES)) == 5
    assert trips(risky, off) == []


@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=30))
def test_the_median_is_exact(amounts):
    assert median_cents(amounts) == Fraction(median(Fraction(a) for a in amounts))


@given(
    st.lists(st.integers(min_value=0, max_value=72 * 60), min_size=1, max_size=12),
)
def test_bursts_count_the_accounts_within_24_hours_of_each_other(minutes):
    start = datetime(2026, 12, 1)
    added = [(n, start + timedelta(minutes=m)) for n, m in enumerate(minutes)]
    bursts = account_bursts(added)
    for account_id, at in added:
        # The brute force: the largest window of 24 hours holding this account.
        best = max(
            sum(1 for _, other in added if first <= other <= first + timedelta(hours=24))
            for _, first in added
            if first <= at <= first + timedelta(hours=24)
        )
        assert bursts[account_id] == best
