from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.lib.money import MoneyError, cents_to_plain, format_cents, multiply_cents, parse_cents, parse_decimal


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("0", 0),
        ("1", 100),
        ("1.5", 150),
        ("1.05", 105),
        ("$1,234.56", 123456),
        (" 12. ", 1200),
        ("1234567.89", 123456789),
    ],
)
def test_parse_cents(text, cents):
    assert parse_cents(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter an amount"),
        ("-5", "not negative"),
        ("$-5", "not negative"),
        ("12.345", "more than two decimals"),
        ("1,23.00", "is not an amount"),
        ("abc", "is not an amount"),
        ("1e5", "is not an amount"),
        ("NaN", "is not an amount"),
        ("99999999999999", "too large"),
    ],
)
def test_parse_cents_explains_bad_input(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_cents(text)


def test_zero_can_be_refused():
    with pytest.raises(MoneyError, match="greater than zero"):
        parse_cents("0.00", allow_zero=False)


@given(st.integers(min_value=0, max_value=99_999_999_999))
def test_formatting_and_parsing_round_trip(cents):
    assert parse_cents(format_cents(cents)) == cents
    assert parse_cents(cents_to_plain(cents)) == cents


def test_format_cents():
    assert format_cents(123456) == "$1,234.56"
    assert format_cents(-5) == "-$0.05"
    assert format_cents(None) == ""


def test_multiply_rounds_half_up():
    assert multiply_cents(1, Decimal("0.5")) == 1
    assert multiply_cents(333, Decimal("1.5")) == 500  # 499.5 → 500
    assert multiply_cents(9999, Decimal("0.0825")) == 825  # 824.9175 → 825


@pytest.mark.parametrize(
    ("text", "message"),
    [("-1", "cannot be negative"), ("1.2345", "more than 3 decimals"), ("x", "not a number"), ("inf", "not a number")],
)
def test_parse_decimal_explains(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_decimal(text, places=3, what="quantity")


# Python's int(), Decimal() and a regex's \d all read any script's digits: "٥" (Arabic-Indic five)
# would be $5.00. Amounts are typed in ASCII digits only, everywhere.
NOT_ASCII = ["٥", "١٢.٥٠", "$٣", "５", "1٠", "۱,۰۰۰.۰۰", "१२"]


@pytest.mark.parametrize("text", NOT_ASCII)
def test_parse_cents_takes_ascii_digits_only(text):
    with pytest.raises(MoneyError, match="is not an amount"):
        parse_cents(text)


@pytest.mark.parametrize("text", [*NOT_ASCII, "1e3", "0x10", "1_000"])
def test_parse_decimal_takes_ascii_digits_and_a_point_only(text):
    with pytest.raises(MoneyError, match="not a number"):
        parse_decimal(text, places=3, what="quantity")


@pytest.mark.parametrize(("text", "value"), [("3", "3"), ("1,000.5", "1000.5"), (".5", "0.5"), ("2.", "2")])
def test_parse_decimal_reads_plain_numbers(text, value):
    assert parse_decimal(text, places=3, what="quantity") == Decimal(value)
