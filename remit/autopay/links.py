"""The signed "skip this payment" link in Auto Pay's advance notice. It names one payment and works
until that payment is sent to the bank; the page it opens asks before skipping (mail scanners open
links, so a GET never changes anything)."""

from __future__ import annotations

from django.core import signing

from remit.billers.models import Biller
from remit.payments.models import Payment

SALT = "remit.autopay.skip"
MAX_AGE = 60 * 60 * 24 * 400  # longer than any Pay On date can be ahead


def skip_token(payment: Payment) -> str:
    return signing.dumps({"p": payment.pk, "c": payment.customer_id}, salt=SALT, compress=True)


def skip_url(payment: Payment, biller: Biller) -> str:
    return biller.portal_url(f"autopay/skip/{skip_token(payment)}/")


def payment_from_token(token: str, *, biller_id: int) -> Payment | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return Payment.objects.filter(pk=data.get("p"), customer_id=data.get("c"), biller_id=biller_id).first()
