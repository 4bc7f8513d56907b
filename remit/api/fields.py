"""Input fields that take exactly what the OpenAPI document says they take.

DRF's own fields are lenient: a ``CharField`` takes ``5`` as ``"5"`` and trims spaces, an
``IntegerField`` takes ``"5"`` and ``5.0``, a ``DateField`` ``"2026-1-5"``, a ``BooleanField``
``"yes"``, a ``DecimalField`` ``".5"``. A client reading the document can't know any of that, and a
request the document calls invalid must be refused (400), not guessed at. So each field here takes
one JSON type (or one spelling in a query string) and states every rule it checks in the document
(``pattern``, ``format``, bounds) — with patterns that mean the same to Python and to the
ECMA-262 regular expressions of JSON Schema: explicit character classes, no ``\\d``, ``\\s``, ``\\w``.
So the digits of numbers and dates are ASCII 0–9, as in every money field (lib/money.py): ``int()`` and
``Decimal()`` read any script's digits, and "٥" must not become 5.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator, validate_email
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# The whitespace of str.split() and str.strip(), which the domain's rules use to tell a blank name
# from a filled one. Spelled out because ECMA's \s is another set (it has U+FEFF, lacks U+001C–1F).
# (None is above U+3000.)
WHITESPACE = [code for code in range(0x3001) if chr(code).isspace()]


def _character_class(codes: list[int]) -> str:
    """[9, 10, 11, 32] → "\\u0009-\\u000b\\u0020": ranges of code points, escaped alike for both engines."""
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


# No NUL anywhere (PostgreSQL can't store it); "filled" text also has a character that is not a space.
# Not empty either: a field that may be blank takes "" before its pattern is asked (and the document
# says so with a second, empty alternative, which must not overlap this one).
_SPACE_CLASS = _character_class(WHITESPACE)
ANY_TEXT = r"\A[^\x00]+\Z"
FILLED_TEXT = rf"\A[^\x00]*[^\x00{_SPACE_CLASS}][^\x00]*\Z"

NOT_TEXT = "Send text (a JSON string) without NUL characters."
BLANK = "This field may not be blank."


def _ecma(pattern: str) -> str:
    """``\\A…\\Z`` (Python's exact anchors) as ``^…$`` for the document; drf-spectacular does the same
    for a field's own RegexValidator, this is for the schemas written by hand below."""
    return "^" + pattern.removeprefix(r"\A").removesuffix(r"\Z") + "$"


class Text(serializers.CharField):
    """A JSON string, taken as it is (not trimmed: the rules collapse spaces themselves). ``filled``:
    not only spaces. ``pattern``: a fuller rule, given as ``\\A…\\Z``."""

    def __init__(self, *, filled: bool = False, pattern: str | None = None, message: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        rule = pattern or (FILLED_TEXT if filled else ANY_TEXT)
        message = message or (BLANK if filled else NOT_TEXT)
        # One RegexValidator, the first: drf-spectacular writes it into the document as `pattern`.
        self.validators = [
            RegexValidator(re.compile(rule), message),
            *(v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)),
        ]

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


# An address as people type it: a dot-atom local part (at most 64 characters, as the "email" format
# says), a host name whose last label is two or more letters (or punycode). Django's validate_email
# takes more (quoted local parts, [IP] literals, host names in other scripts), which JSON Schema's
# "email" format doesn't share; a program sends such a host name in its xn-- form.
_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LABEL = "(?:[A-Za-z][A-Za-z-]{0,61}[A-Za-z]|xn--[A-Za-z0-9]{1,59})"
EMAIL = rf"\A{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+{_TOP_LABEL}\Z"
NOT_EMAIL = "Not an email address: %(value)s."


@extend_schema_field({"type": "string", "format": "email", "maxLength": 254, "pattern": _ecma(EMAIL)})
class Email(Text):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(pattern=EMAIL, message=NOT_EMAIL, max_length=254, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            if not re.match(EMAIL, value) or len(value.rpartition("@")[0]) > 64:
                raise DjangoValidationError(NOT_EMAIL)
            validate_email(value)  # the domain's own definition, which this one only narrows
        except DjangoValidationError:
            raise serializers.ValidationError(NOT_EMAIL % {"value": value}) from None
        return value


class WholeNumber(serializers.IntegerField):
    """A JSON integer: ``3``, not ``"3"``, nor ``3.0`` (an OpenAPI 3.0 document's JSON Schema is
    draft 4's, where a number written with a fraction or an exponent is no integer)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IsoDate(serializers.DateField):
    """``YYYY-MM-DD``, nothing else (Django also reads ``2026-1-5``, and digits of other scripts)."""

    def to_internal_value(self, value: Any) -> date:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail("invalid", format="YYYY-MM-DD")


class DecimalInput(serializers.DecimalField):
    """A decimal as a string matching ``pattern`` (``"3"``, ``"8.25"``) or a JSON number with at most
    ``decimal_places`` decimals (``8.25``). The subclasses state both in the document."""

    pattern: re.Pattern[str]

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        if isinstance(data, str) and not self.pattern.fullmatch(data):
            self.fail("invalid")
        return Decimal(super().to_internal_value(data))


QUANTITY = r"[0-9]{1,9}(?:\.[0-9]{1,3})?"


@extend_schema_field(
    {
        "anyOf": [
            {"type": "string", "pattern": f"^{QUANTITY}$", "example": "3.5"},
            {"type": "number", "minimum": 0, "maximum": 999999999.999, "multipleOf": 0.001},
        ],
        "description": "A decimal from 0 to 999999999.999 with at most 3 decimals, as a string or a number.",
    }
)
class Quantity(DecimalInput):
    pattern = re.compile(QUANTITY)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=12, decimal_places=3, min_value=Decimal(0), **kwargs)


PERCENT = r"(?:100(?:\.0{1,3})?|[0-9]{1,2}(?:\.[0-9]{1,3})?)"


@extend_schema_field(
    {
        "anyOf": [
            {"type": "string", "pattern": f"^{PERCENT}$", "example": "8.25"},
            {"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.001},
        ],
        "description": "A percentage from 0 to 100 with at most 3 decimals, as a string or a number.",
    }
)
class Percent(DecimalInput):
    pattern = re.compile(PERCENT)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=6, decimal_places=3, min_value=Decimal(0), max_value=Decimal(100), **kwargs)


# --- Query strings: every value is text; one spelling each -------------------------------------------

QUERY_INTEGER = re.compile(r"-?[0-9]{1,19}")


class QueryInteger(serializers.IntegerField):
    """``?customer=12``: digits only (not ``12.0``, `` 12`` or ``+12``)."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not QUERY_INTEGER.fullmatch(data):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class QueryBoolean(serializers.BooleanField):
    """``true`` or ``false``, as the document's boolean is written in a URL (not ``1``, ``yes``, ``True``)."""

    def to_internal_value(self, data: Any) -> bool:
        if data not in {"true", "false"}:
            self.fail("invalid", input=data)
        return data == "true"
