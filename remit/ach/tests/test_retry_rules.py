"""The pure retry rules: NACHA's limits (R01/R09 only, at most two retries, within 180 days of the
original's settlement, never after R08) and Remit's stops, property-tested over random histories."""

from datetime import date, timedelta

import hypothesis
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.ach.retry_rules import (
    MAX_RETRIES,
    WINDOW,
    Chain,
    Facts,
    Policy,
    decide,
    policy_problems,
    retry_date,
)
from remit.lib.banking_days import add_banking_days, is_banking_day, next_banking_day

TWICE = Policy(retries=2, timing="days", days=3)
MONDAY = date(2026, 3, 2)


def facts(code="R01", *, codes=(), retries=0, cancelled=False, usable=True, covered=False, original=MONDAY):
    chain = Chain(original_effective=original, codes=(*codes, code), retries=retries, cancelled=cancelled)
    return Facts(code=code, chain=chain, account_usable=usable, covered=covered)


def when(policy, item, returned_on=MONDAY + timedelta(days=2)):
    return decide(policy, item, returned_on=returned_on, earliest=next_banking_day(returned_on))


def test_r01_and_r09_are_retried_after_the_policys_banking_days():
    for code in ("R01", "R09"):
        decision = when(TWICE, facts(code), returned_on=date(2026, 3, 4))
        assert decision.retry_on == date(2026, 3, 9)  # Wednesday + 3 banking days


def test_other_codes_are_never_retried():
    for code in ("R02", "R03", "R05", "R07", "R08", "R10", "R16", "R29"):
        assert when(TWICE, facts(code)).retry_on is None


def test_off_means_never():
    assert when(Policy(retries=0), facts()).reason == "Retries are off."


def test_once_means_one_retry_and_twice_two():
    assert when(Policy(retries=1), facts(retries=1)).retry_on is None
    assert when(TWICE, facts(retries=1)).retry_on is not None
    assert when(TWICE, facts(retries=2)).retry_on is None


def test_never_after_an_r08_on_the_chain_a_cancel_a_revoked_authorization_or_a_covered_invoice():
    assert "R08" in when(TWICE, facts(codes=("R08",), retries=1)).reason
    assert "skipped" in when(TWICE, facts(cancelled=True, retries=1)).reason
    assert "authorization" in when(TWICE, facts(usable=False)).reason
    assert "covers" in when(TWICE, facts(covered=True)).reason


def test_never_past_180_days_of_the_original():
    late = MONDAY + WINDOW - timedelta(days=2)
    assert "180 days" in when(TWICE, facts(), returned_on=late).reason


def test_the_next_1st_or_15th_moves_to_a_banking_day_and_is_never_before_the_earliest():
    policy = Policy(retries=1, timing="semimonthly")
    assert retry_date(policy, returned_on=date(2026, 3, 4), earliest=date(2026, 3, 5)) == date(2026, 3, 16)  # 15th: Sun
    assert retry_date(policy, returned_on=date(2026, 3, 16), earliest=date(2026, 3, 17)) == date(2026, 4, 1)
    assert retry_date(policy, returned_on=date(2026, 12, 20), earliest=date(2026, 12, 21)) == date(2027, 1, 4)
    # Returned on the 14th after the cut-off: the 15th is too soon, so the next 1st.
    assert retry_date(policy, returned_on=date(2026, 4, 14), earliest=date(2026, 4, 16)) == date(2026, 5, 1)


def test_the_policys_limits():
    assert policy_problems(retries=2, timing="days", days=30) == {}
    assert set(policy_problems(retries=3, timing="days", days=31)) == {"retries", "days"}
    assert policy_problems(retries=1, timing="semimonthly", days=None) == {}


# --- random return histories ------------------------------------------------------------------------

events = st.lists(
    st.tuples(
        st.sampled_from(["R01", "R09", "R01", "R09", "R08", "R02", "R10", "skip", "revoke", "cover", "settled"]),
        st.integers(min_value=0, max_value=80),  # calendar days until the next return is imported
    ),
    min_size=1,
    max_size=8,
)
policies = st.builds(
    Policy,
    retries=st.integers(min_value=0, max_value=2),
    timing=st.sampled_from(["days", "semimonthly"]),
    days=st.integers(min_value=1, max_value=30),
)


@settings(max_examples=400, deadline=None)
@given(policy=policies, history=events, start=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)))
def test_random_histories_never_exceed_nachas_limits(policy, history, start):
    """Play a chain: each step is what came back for its newest payment (a return code, a skip of the
    scheduled retry, the account's authorization ended, a newer payment covered the invoices, or it
    settled). The rules never make a third retry, never date one more than 180 days after the
    original, never retry after an R08, a skip, a revoked authorization, a covered invoice, or a code
    other than R01/R09."""
    original = start if is_banking_day(start) else next_banking_day(start)
    today = original
    codes: list[str] = []
    retries, cancelled, revoked, covered = 0, False, False, False
    for event, gap in history:
        if event == "settled":
            break
        if event == "skip":
            cancelled = cancelled or retries > 0  # the scheduled retry was skipped
            continue
        if event in ("revoke", "cover"):
            revoked, covered = revoked or event == "revoke", covered or event == "cover"
            continue
        today += timedelta(days=gap + 1)  # the newest payment of the chain came back
        codes.append(event)
        chain = Chain(original, tuple(codes), retries, cancelled)
        decision = decide(
            policy,
            Facts(code=event, chain=chain, account_usable=not revoked, covered=covered),
            returned_on=today,
            earliest=next_banking_day(today),
        )
        if decision.retry_on is None:
            continue
        retries += 1
        assert retries <= MAX_RETRIES
        assert retries <= policy.retries
        assert decision.retry_on <= original + WINDOW
        assert decision.retry_on > today
        assert is_banking_day(decision.retry_on)
        assert event in ("R01", "R09")
        assert "R08" not in codes
        assert not cancelled
        assert not revoked
        assert not covered
        today = decision.retry_on  # its return comes after it went
    hypothesis.event(f"{retries} retries")  # --hypothesis-show-statistics: the histories do reach two


@settings(max_examples=200, deadline=None)
@given(policy=policies, returned_on=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 1)))
def test_a_retry_date_is_a_banking_day_not_before_the_earliest(policy, returned_on):
    earliest = add_banking_days(returned_on, 1)
    day = retry_date(policy, returned_on=returned_on, earliest=earliest)
    assert is_banking_day(day) and day >= earliest
    if policy.timing == "semimonthly":
        assert day - returned_on <= timedelta(days=25)
