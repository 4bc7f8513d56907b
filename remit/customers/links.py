"""A signed link to a customer account's portal (no particular invoice): what "send me a fresh
link" emails to a billing address when an invoice link has expired or was mangled. Signed like the
invoice links (remit/invoices/links.py), with its own purpose, and valid for 7 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core import signing
from django.utils import timezone

from remit.customers.models import Customer

SALT = "remit.customers.access-link"
LIFETIME = timedelta(days=7)


class AccessLinkError(ValueError):
    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class AccessLink:
    biller_id: int
    customer_id: int
    email: str
    expires_on: date


def make_access_token(customer: Customer, *, email: str) -> str:
    expires = timezone.localdate() + LIFETIME
    payload = {"b": customer.biller_id, "c": customer.pk, "m": email, "e": expires.isoformat()}
    return signing.dumps(payload, salt=SALT, compress=True)


def read_access_token(token: str) -> AccessLink:
    try:
        payload = signing.loads(token, salt=SALT)
        link = AccessLink(
            biller_id=int(payload["b"]),
            customer_id=int(payload["c"]),
            email=str(payload["m"]),
            expires_on=date.fromisoformat(payload["e"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise AccessLinkError("This link is not valid. It may have been copied incompletely.") from None
    if timezone.localdate() > link.expires_on:
        raise AccessLinkError("This link has expired.", expired=True)
    return link
