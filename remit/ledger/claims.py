"""Auto Pay's claims, as the books see them: a claim ties one invoice to the one payment Auto Pay made
for it (unique per invoice, so nothing can make a second). Planning those payments is Auto Pay's
business (``remit.autopay``); taking one back or making room on its invoice is done here, because
edits, recorded cheques and voids below Auto Pay need it too."""

from __future__ import annotations

from remit.ledger.models import AutoPayClaim, Invoice, PaymentStatus
from remit.ledger.scheduling import payment_adjust, payment_cancel
from remit.users.models import User


def _scheduled_claim(invoice: Invoice) -> AutoPayClaim | None:
    return (
        AutoPayClaim.objects.select_related("payment")
        .filter(invoice=invoice, payment__status=PaymentStatus.SCHEDULED)
        .first()
    )


def claim_make_room(*, invoice: Invoice, cents: int, actor: User | None, reason: str) -> int:
    """Take up to ``cents`` off the invoice's scheduled Auto Pay payment (an edit lowered the total,
    or the biller recorded a cheque). Returns what was freed. Call with the invoice locked."""
    claim = _scheduled_claim(invoice)
    if claim is None or cents <= 0:
        return 0
    freed = min(cents, claim.payment.amount_cents)
    payment_adjust(
        payment=claim.payment,
        actor=actor,
        note=reason,
        invoice_cents={invoice.pk: claim.payment.amount_cents - freed},
    )
    return freed


def claim_withdraw(claim: AutoPayClaim, *, reason: str) -> None:
    """Auto Pay takes back a payment it scheduled (never sent): the payment is cancelled and the
    claim removed, so the invoice can be paid again — by hand, or by Auto Pay once it is back on."""
    payment_cancel(payment=claim.payment, actor=None, reason=reason)
    claim.delete()


def claim_release_invoice(*, invoice: Invoice, reason: str) -> None:
    """The invoice moves to another customer: its scheduled Auto Pay payment is withdrawn."""
    claim = _scheduled_claim(invoice)
    if claim is not None:
        claim_withdraw(claim, reason=reason)
