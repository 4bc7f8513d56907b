"""An invoice's arithmetic (a pure core): line amounts, subtotal, tax and total in integer cents.

This is the only place totals are computed. Each line is quantity × unit price rounded half-up to
the cent; tax is the subtotal × rate%, rounded half-up once for the invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from remit.lib.money import MAX_CENTS, multiply_cents
from remit.lib.terms import TERMS_DAYS

MAX_TAX_RATE = Decimal("100")


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_price_cents: int


@dataclass(frozen=True)
class Totals:
    line_amounts: tuple[int, ...]
    subtotal_cents: int
    tax_cents: int
    total_cents: int


class TotalsError(ValueError):
    pass


def compute_totals(lines: Sequence[Line], tax_rate: Decimal = Decimal(0)) -> Totals:
    if not lines:
        raise TotalsError("An invoice needs at least one line.")
    tax_rate = Decimal(tax_rate)
    if not Decimal(0) <= tax_rate <= MAX_TAX_RATE:
        raise TotalsError("The tax rate must be between 0% and 100%.")
    amounts = tuple(multiply_cents(line.unit_price_cents, line.quantity) for line in lines)
    subtotal = sum(amounts)
    tax = multiply_cents(subtotal, tax_rate / 100)
    total = subtotal + tax
    if total > MAX_CENTS:
        raise TotalsError("The invoice total is too large.")
    return Totals(line_amounts=amounts, subtotal_cents=subtotal, tax_cents=tax, total_cents=total)


def due_date_for(issue_date: date, terms: str) -> date:
    if terms not in TERMS_DAYS:
        raise TotalsError(f"Unknown payment terms “{terms}”.")
    try:
        return issue_date + timedelta(days=TERMS_DAYS[terms])
    except OverflowError:
        raise TotalsError("The due date would be after the year 9999: check the issue date.") from None
