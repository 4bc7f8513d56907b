"""Money is integer cents everywhere inside Remit; these functions are the only ways in and out.

Parsing is strict: people type "$1,234.50" or "1234.5", never "12.345" or "-3", and only in ASCII
digits: Python's ``int()``, ``Decimal()`` and a regex's ``\\d`` all read any script's digits, so
"٥" (Arabic-Indic five) would otherwise be $5.00. Rounding of computed amounts (quantity × unit
price, tax) is half-up to the cent, as on paper invoices.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

AMOUNT_PATTERN = re.compile(r"^\$?\s*([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]*)?$")
NUMBER_PATTERN = re.compile(r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
MAX_CENTS = 99_999_999_999  # $999,999,999.99: more than any invoice; keeps sums far from overflow


class MoneyError(ValueError):
    """The text is not an amount of money; the message says why."""


def parse_cents(text: str, *, allow_zero: bool = True) -> int:
    """ "$1,234.5" → 123450. Refuses negatives, more than two decimals and anything else."""
    raw = str(text).strip()
    if not raw:
        raise MoneyError("Enter an amount.")
    if raw.startswith("-") or raw.startswith("$-") or raw.startswith("($"):
        raise MoneyError("Enter an amount that is not negative.")
    if not AMOUNT_PATTERN.match(raw):
        raise MoneyError(f"“{raw}” is not an amount. Use digits and an optional decimal point, e.g. 1234.50.")
    number = raw.lstrip("$").strip().replace(",", "")
    if "." in number and len(number.split(".")[1]) > 2:
        raise MoneyError(f"“{raw}” has more than two decimals; amounts are in dollars and cents.")
    cents = int((Decimal(number) * 100).to_integral_value())
    if cents == 0 and not allow_zero:
        raise MoneyError("Enter an amount greater than zero.")
    if cents > MAX_CENTS:
        raise MoneyError("The amount is too large.")
    return cents


def parse_decimal(text: str, *, places: int, what: str) -> Decimal:
    """A non-negative decimal with at most ``places`` decimals (quantities, tax rates)."""
    raw = str(text).strip().replace(",", "")
    if raw.startswith("-") and NUMBER_PATTERN.match(raw[1:]):
        raise MoneyError(f"The {what} cannot be negative.")
    if not NUMBER_PATTERN.match(raw):
        raise MoneyError(f"“{text}” is not a number. Use digits 0–9 and an optional decimal point, e.g. 2.5.")
    value = Decimal(raw)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise MoneyError(f"The {what} has more than {places} decimals.")
    return value


def multiply_cents(cents: int, factor: Decimal) -> int:
    """cents × factor, rounded half-up to a whole cent."""
    return int((Decimal(cents) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_cents(cents: int | None, *, symbol: str = "$") -> str:
    """123450 → "$1,234.50"; negative amounts as "-$12.00"."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{symbol}{dollars:,}.{rest:02d}"


def cents_to_plain(cents: int) -> str:
    """123450 → "1234.50" (for CSV exports and form fields)."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{dollars}.{rest:02d}"
