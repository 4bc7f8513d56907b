from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.payments.allocation import AllocationError, Payable, allocate

payables = st.lists(
    st.builds(
        Payable,
        invoice_id=st.integers(min_value=1, max_value=10_000),
        due_date=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
        available_cents=st.integers(min_value=0, max_value=5_000_000),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda p: p.invoice_id,
)


@given(payables, st.data())
def test_allocations_sum_to_the_payment_never_exceed_and_pay_the_oldest_first(items, data):
    available = sum(p.available_cents for p in items)
    if available == 0:
        with pytest.raises(AllocationError):
            allocate(1, items)
        return
    total = data.draw(st.integers(min_value=1, max_value=available))
    parts = allocate(total, items)
    assert sum(cents for _, cents in parts) == total
    by_id = {p.invoice_id: p for p in items}
    assert all(0 < cents <= by_id[invoice_id].available_cents for invoice_id, cents in parts)
    assert len({invoice_id for invoice_id, _ in parts}) == len(parts)
    # Oldest due date first: every invoice before the last one paid is paid in full.
    order = sorted(items, key=lambda p: (p.due_date, p.invoice_id))
    paid = dict(parts)
    last = max(order.index(by_id[invoice_id]) for invoice_id in paid)
    for payable in order[:last]:
        assert paid.get(payable.invoice_id, 0) == payable.available_cents


@given(payables, st.integers(min_value=1, max_value=1000))
def test_more_than_available_or_nothing_is_refused(items, extra):
    available = sum(p.available_cents for p in items)
    with pytest.raises(AllocationError, match="more than what is available"):
        allocate(available + extra, items)
    with pytest.raises(AllocationError, match=r"more than \$0.00"):
        allocate(0, items)


def test_a_lowered_total_pays_the_oldest_due_date_first():
    today = date(2026, 11, 26)
    items = [
        Payable(1, today + timedelta(days=10), 5000),
        Payable(2, today - timedelta(days=5), 3000),
        Payable(3, today, 2000),
    ]
    assert allocate(4000, items) == [(2, 3000), (3, 1000)]
