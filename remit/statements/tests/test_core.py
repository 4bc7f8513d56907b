"""The statement's arithmetic, on generated histories: balances add up whatever the period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.statements.core import (
    Entry,
    EntryKind,
    StatementError,
    aging_on,
    build_statement,
    check_period,
    month_before,
    period_dates,
)

DAY0 = date(2026, 1, 1)


def invoice(key: int, cents: int, on: date, due: date | None = None) -> Entry:
    return Entry(EntryKind.INVOICE, on, cents, f"INV-{key}", invoice_key=key, due_date=due or on, order=(key,))


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Entry], dict[int, int]]:
    """Invoices, partial payments (settled), returns of settled payments, voids of unpaid invoices and
    credits, in a consistent order; with each invoice's balance at the end, as the ledger keeps it
    (a void invoice: none)."""
    entries: list[Entry] = []
    balances: dict[int, int] = {}
    voided: set[int] = set()
    settled: list[Entry] = []
    day = DAY0
    for step in range(draw(st.integers(0, 30))):
        day += timedelta(days=draw(st.integers(0, 20)))
        action = draw(st.sampled_from(["invoice", "invoice", "pay", "return", "void", "credit"]))
        open_keys = [key for key, cents in balances.items() if cents > 0 and key not in voided]
        if action == "invoice" or not balances:
            key = len(balances) + 1
            cents = draw(st.integers(1, 500_000))
            due = day + timedelta(days=draw(st.integers(0, 60)))
            entries.append(invoice(key, cents, day, due))
            balances[key] = cents
        elif action == "pay" and open_keys:
            keys = draw(st.lists(st.sampled_from(open_keys), min_size=1, max_size=3, unique=True))
            parts = tuple((key, draw(st.integers(1, balances[key]))) for key in keys)
            payment = Entry(EntryKind.PAYMENT, day, sum(c for _, c in parts), f"P{step}", parts=parts, order=(step,))
            entries.append(payment)
            settled.append(payment)
            for key, cents in parts:
                balances[key] -= cents
        elif action == "return" and settled:
            payment = settled.pop(draw(st.integers(0, len(settled) - 1)))
            entries.append(
                Entry(
                    EntryKind.RETURN, day, payment.amount_cents, payment.reference, parts=payment.parts, order=(step,)
                )
            )
            for key, cents in payment.parts:
                balances[key] += cents
        elif action == "void" and open_keys:
            # Only an invoice nothing is paid on may be voided (invoice_void refuses otherwise).
            unpaid = [key for key in open_keys if not any(key in dict(p.parts) for p in settled)]
            if unpaid:
                key = draw(st.sampled_from(unpaid))
                entries.append(Entry(EntryKind.VOID, day, balances[key], f"INV-{key}", invoice_key=key, order=(key,)))
                voided.add(key)
        elif action == "credit":
            cents = draw(st.integers(1, 50_000))
            entries.append(Entry(EntryKind.CREDIT, day, cents, f"CR{step}", order=(step,)))
            balances[0] = balances.get(0, 0) - cents  # account credit, not an invoice's
    return entries, {key: cents for key, cents in balances.items() if key not in voided}


@settings(max_examples=300, deadline=None)
@given(history=histories(), split=st.integers(0, 700), span=st.integers(0, 700))
def test_balances_add_up_for_any_period_split(history, split, span):
    entries, _ = history
    start = DAY0 + timedelta(days=split)
    end = start + timedelta(days=span)
    first = build_statement(entries=entries, start=DAY0 - timedelta(days=1), end=start - timedelta(days=1))
    second = build_statement(entries=entries, start=start, end=end)
    assert second.opening_cents == first.closing_cents
    assert second.opening_cents + sum(line.entry.signed_cents for line in second.lines) == second.closing_cents
    assert all(
        line.balance_cents == previous + line.entry.signed_cents
        for line, previous in zip(
            second.lines, [second.opening_cents] + [line.balance_cents for line in second.lines], strict=False
        )
    )
    assert second.aging.total_cents == second.closing_cents
    assert first.aging.total_cents == first.closing_cents


@settings(max_examples=300, deadline=None)
@given(history=histories())
def test_closing_balance_from_the_beginning_is_what_the_invoices_still_ask(history):
    entries, balances = history
    statement = build_statement(entries=entries, start=DAY0 - timedelta(days=1), end=date(2030, 1, 1))
    assert statement.opening_cents == 0
    assert statement.closing_cents == sum(balances.values())
    assert statement.aging.unapplied_cents == balances.get(0, 0)


def test_the_lines_are_in_day_order_with_a_running_balance():
    entries = [
        Entry(EntryKind.PAYMENT, date(2026, 3, 5), 4000, "P1", parts=((1, 4000),)),
        invoice(1, 10000, date(2026, 3, 5)),
        invoice(2, 2500, date(2026, 2, 1)),
    ]
    statement = build_statement(entries=entries, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert statement.opening_cents == 2500
    assert [(line.entry.reference, line.balance_cents) for line in statement.lines] == [
        ("INV-1", 12500),
        ("P1", 8500),
    ]
    assert statement.closing_cents == 8500
    assert statement.totals == {"invoice": 10000, "return": 0, "payment": 4000, "credit": 0, "void": 0}


def test_aging_puts_each_invoice_in_the_bucket_of_its_days_past_due_on_the_closing_date():
    on = date(2026, 6, 30)
    entries = [
        invoice(1, 100, date(2026, 6, 1), due=date(2026, 7, 1)),  # not yet due
        invoice(2, 200, date(2026, 5, 1), due=on),  # due today: current
        invoice(3, 300, date(2026, 5, 1), due=on - timedelta(days=1)),
        invoice(4, 400, date(2026, 4, 1), due=on - timedelta(days=31)),
        invoice(5, 500, date(2026, 3, 1), due=on - timedelta(days=90)),
        invoice(6, 600, date(2026, 1, 1), due=on - timedelta(days=91)),
        Entry(EntryKind.PAYMENT, date(2026, 6, 2), 650, "P", parts=((6, 600),)),  # 50 beyond: account credit
        invoice(7, 700, date(2026, 7, 1)),  # after the closing date
    ]
    aging = aging_on(entries, on=on)
    assert (aging.current, aging.days_1_30, aging.days_31_60, aging.days_61_90, aging.over_90) == (
        300,
        300,
        400,
        500,
        0,
    )
    assert aging.unapplied_cents == -50
    assert aging.total_cents == 1450


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "to", "The last day can't be before the first day."),
        (date(2020, 1, 1), date(2025, 1, 1), "to", "A statement covers at most five years; choose a shorter period."),
        (None, date(2026, 3, 1), "from", "Enter the first day of the period."),
    ],
)
def test_a_bad_period_is_refused_at_its_field(start, end, field, message):
    with pytest.raises(StatementError) as refused:
        check_period(start, end)
    assert refused.value.errors == {field: [message]}


def test_the_ends_of_the_calendar_are_periods_too():
    assert check_period(date(9998, 1, 1), date(9999, 12, 31)) == (date(9998, 1, 1), date(9999, 12, 31))
    assert period_dates("last_30", today=date(1, 1, 5)) == (date(1, 1, 1), date(1, 1, 5))
    statement = build_statement(entries=[invoice(1, 5, date(9999, 12, 31))], start=date(1, 1, 1), end=date(1, 1, 1))
    assert statement.closing_cents == 0


def test_five_years_less_a_day_is_a_period():
    assert check_period(date(2021, 1, 1), date(2025, 12, 31)) == (date(2021, 1, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("this_month", (date(2026, 5, 1), date(2026, 5, 14))),
        ("last_month", (date(2026, 4, 1), date(2026, 4, 30))),
        ("this_quarter", (date(2026, 4, 1), date(2026, 5, 14))),
        ("this_year", (date(2026, 1, 1), date(2026, 5, 14))),
        ("last_30", (date(2026, 4, 15), date(2026, 5, 14))),
    ],
)
def test_named_periods(name, expected):
    assert period_dates(name, today=date(2026, 5, 14)) == expected


def test_the_month_before_the_first_of_january_is_december():
    assert month_before(date(2027, 1, 1)) == (date(2026, 12, 1), date(2026, 12, 31))
