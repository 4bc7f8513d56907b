"""The unsubscribe link of a non-essential email: a signed token naming the biller, the address and
the category, on the biller's portal address (``/<slug>/unsubscribe/<token>/`` or the own domain's
``/unsubscribe/<token>/``). It does not expire: RFC 8058 asks that the link keep working, and an
old email's link should stop what it says however late it is clicked. The signature (salted, so no
other token of Remit's can be replayed here) is the only proof needed: whoever holds the email may
stop that kind of email to that address, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing

from remit.notifications.categories import EmailCategory

SALT = "remit.notifications.unsubscribe"


@dataclass(frozen=True)
class Unsubscribe:
    biller_id: int
    address: str
    category: EmailCategory


def unsubscribe_token(*, biller_id: int, address: str, category: str) -> str:
    return signing.dumps({"b": biller_id, "a": address, "c": category}, salt=SALT, compress=True)


def unsubscribe_url(*, biller: Any, address: str, category: str) -> str:
    """The link on the biller's portal address (``biller.portal_url``: its own domain when it has one)."""
    return str(
        biller.portal_url(f"unsubscribe/{unsubscribe_token(biller_id=biller.pk, address=address, category=category)}/")
    )


def read_unsubscribe_token(token: str) -> Unsubscribe | None:
    """What a token says, or None when it was not signed by Remit for this purpose or is malformed."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    biller_id, address, category = data.get("b"), data.get("a"), data.get("c")
    if not isinstance(biller_id, int) or not isinstance(address, str) or category not in EmailCategory.values:
        return None
    return Unsubscribe(biller_id=biller_id, address=address, category=EmailCategory(category))
