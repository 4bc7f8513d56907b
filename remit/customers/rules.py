"""What makes a valid customer record — one set of rules for the console form, the importer and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

EMAIL_SEPARATORS = re.compile(r"[;,\s]+")
MAX_EMAILS = 10
COUNTRY_CODE = r"\A[A-Za-z]{2}\Z"  # ASCII letters, either case; stored upper-case
COUNTRY_RULE = "Use a two-letter country code, e.g. US."


@dataclass
class CustomerFields:
    name: str
    billing_emails: list[str]
    reference: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = "US"


@dataclass
class FieldErrors:
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def messages(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]


def parse_emails(text: str | list[str]) -> tuple[list[str], list[str]]:
    """Split "a@x.com; b@y.com" into addresses; return (valid lowercased unique, invalid as typed)."""
    items = text if isinstance(text, list) else EMAIL_SEPARATORS.split(text or "")
    valid: list[str] = []
    invalid: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            validate_email(item)
        except ValidationError:
            invalid.append(item)
            continue
        if item.lower() not in valid:
            valid.append(item.lower())
    return valid, invalid


def check_customer_fields(fields: CustomerFields) -> FieldErrors:
    """Shape rules (no database): the caller checks uniqueness of the reference."""
    errors = FieldErrors()
    fields.name = " ".join(fields.name.split())
    fields.reference = fields.reference.strip()
    if not fields.name:
        errors.add("name", "Enter the customer's name.")
    elif len(fields.name) > 200:
        errors.add("name", "The name is longer than 200 characters.")
    if len(fields.reference) > 64:
        errors.add("reference", "The customer reference is longer than 64 characters.")
    if not fields.billing_emails:
        errors.add("billing_emails", "Enter at least one billing email address.")
    elif len(fields.billing_emails) > MAX_EMAILS:
        errors.add("billing_emails", f"Enter at most {MAX_EMAILS} billing email addresses.")
    fields.country = (fields.country or "US").strip()
    if not re.match(COUNTRY_CODE, fields.country):
        errors.add("country", COUNTRY_RULE)
    fields.country = fields.country.upper()  # after the check: "ß".upper() is "SS"
    for name in ("address_line1", "address_line2", "city", "state", "postal_code"):
        setattr(fields, name, " ".join(str(getattr(fields, name)).split()))
    if fields.country == "US" and fields.postal_code and not re.fullmatch(r"\d{5}(-\d{4})?", fields.postal_code):
        errors.add("postal_code", "Enter a ZIP code like 12345 or 12345-6789.")
    return errors
