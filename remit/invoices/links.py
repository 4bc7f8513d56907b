"""The signed "Pay Invoice Electronically" link in an invoice email.

The token names the biller, the customer and the invoice, and when it stops working. It is signed
with the server's secret (Django's signing: HMAC-SHA256 with a purpose-specific salt), so changing
any character makes it worthless. It works at least 30 days past the due date, and at least 45
days after the email was sent, so a resent reminder for an overdue invoice still works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core import signing
from django.utils import timezone

from remit.invoices.models import Invoice

SALT = "remit.invoices.pay-link"
VALID_AFTER_DUE = timedelta(days=45)
VALID_AFTER_SEND = timedelta(days=45)


class LinkError(ValueError):
    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class PayLink:
    biller_id: int
    customer_id: int
    invoice_id: int
    expires_on: date


def link_expiry(invoice: Invoice, *, sent_on: date) -> date:
    return max(invoice.due_date + VALID_AFTER_DUE, sent_on + VALID_AFTER_SEND)


def make_token(invoice: Invoice, *, sent_on: date | None = None) -> str:
    expires = link_expiry(invoice, sent_on=sent_on or timezone.localdate())
    payload = {"b": invoice.biller_id, "c": invoice.customer_id, "i": invoice.pk, "e": expires.isoformat()}
    return signing.dumps(payload, salt=SALT, compress=True)


def read_token(token: str, *, today: date | None = None) -> PayLink:
    try:
        payload = signing.loads(token, salt=SALT)
        link = PayLink(
            biller_id=int(payload["b"]),
            customer_id=int(payload["c"]),
            invoice_id=int(payload["i"]),
            expires_on=date.fromisoformat(payload["e"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkError("This link is not valid. It may have been copied incompletely.") from None
    if (today or timezone.localdate()) > link.expires_on:
        raise LinkError("This link has expired.", expired=True)
    return link


def pay_url(invoice: Invoice, *, sent_on: date | None = None) -> str:
    return invoice.biller.portal_url(f"pay/{make_token(invoice, sent_on=sent_on)}/")
