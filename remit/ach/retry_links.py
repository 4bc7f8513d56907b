"""The signed "skip this retry" link in the email that tells a customer of a returned payment and
its retry. It names one retry and works until that retry is sent to the bank; the page it opens asks
before skipping (mail scanners open links, so a GET never changes anything). Made like Auto Pay's
skip link (``autopay/links.py``), with its own purpose."""

from __future__ import annotations

from django.core import signing

from remit.billers.models import Biller
from remit.payments.models import Payment

SALT = "remit.ach.retry-skip"
MAX_AGE = 60 * 60 * 24 * 200  # longer than any retry can be ahead (180 days)


def skip_token(payment: Payment) -> str:
    return signing.dumps({"p": payment.pk, "c": payment.customer_id}, salt=SALT, compress=True)


def skip_url(payment: Payment, biller: Biller) -> str:
    return biller.portal_url(f"payments/retry-skip/{skip_token(payment)}/")


def retry_from_token(token: str, *, biller_id: int) -> Payment | None:
    """The retry the signed link names, if it is this biller's; None for a link that is not valid."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        Payment.objects.filter(pk=data.get("p"), customer_id=data.get("c"), biller_id=biller_id)
        .exclude(retry_of=None)
        .first()
    )
