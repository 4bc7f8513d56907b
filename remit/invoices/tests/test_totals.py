from datetime import date
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from remit.invoices.totals import Line, TotalsError, compute_totals, due_date_for
from remit.lib.money import MAX_CENTS


def test_lines_tax_and_total():
    totals = compute_totals([Line("Anvils", Decimal(3), 12500), Line("Skates", Decimal("1.5"), 9999)], Decimal("8.25"))
    assert totals.line_amounts == (37500, 14999)  # 149.985 → 149.99 (half up)
    assert totals.subtotal_cents == 52499
    assert totals.tax_cents == 4331  # 4331.1675
    assert totals.total_cents == 56830


def test_it_needs_a_line_and_a_sane_tax_rate():
    with pytest.raises(TotalsError, match="at least one line"):
        compute_totals([])
    with pytest.raises(TotalsError, match="between 0% and 100%"):
        compute_totals([Line("x", Decimal(1), 100)], Decimal(101))


def test_due_dates_from_terms():
    assert due_date_for(date(2026, 11, 26), "net_30") == date(2026, 12, 26)
    assert due_date_for(date(2026, 11, 26), "due_on_receipt") == date(2026, 11, 26)
    with pytest.raises(TotalsError):
        due_date_for(date(2026, 11, 26), "net_31")


def test_a_due_date_past_the_calendar_is_a_refusal_not_a_crash():
    assert due_date_for(date(9999, 12, 1), "net_30") == date(9999, 12, 31)
    with pytest.raises(TotalsError, match="after the year 9999"):
        due_date_for(date(9999, 12, 31), "net_30")


lines = st.lists(
    st.builds(
        Line,
        description=st.just("x"),
        quantity=st.decimals(min_value=0, max_value=10000, places=3, allow_nan=False, allow_infinity=False),
        unit_price_cents=st.integers(min_value=0, max_value=10_000_000),
    ),
    min_size=1,
    max_size=20,
)


@given(lines, st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False))
def test_totals_always_add_up(some_lines, rate):
    raw = sum(line.quantity * line.unit_price_cents for line in some_lines) * (1 + rate / 100)
    if raw > MAX_CENTS + len(some_lines) + 1:  # beyond the ceiling: refused, with a message
        with pytest.raises(TotalsError, match="too large"):
            compute_totals(some_lines, rate)
        return
    assume(raw < MAX_CENTS - len(some_lines) - 1)  # rounding at the very edge could go either way
    totals = compute_totals(some_lines, rate)
    assert totals.subtotal_cents == sum(totals.line_amounts)
    assert totals.total_cents == totals.subtotal_cents + totals.tax_cents
    assert all(amount >= 0 for amount in totals.line_amounts)
    for line, amount in zip(some_lines, totals.line_amounts, strict=True):
        assert abs(Decimal(amount) - line.quantity * line.unit_price_cents) <= Decimal("0.5")
