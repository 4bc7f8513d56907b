"""The payment state machine: ``Payment.TRANSITIONS`` says which moves exist, and these two
functions are the only ones that change a payment's status. Each move is conditional on the status
the caller read (a concurrent change makes it fail instead of being overwritten) and appends one
``PaymentEvent``."""

from __future__ import annotations

from collections.abc import Iterable

from remit.ledger.errors import PaymentError
from remit.ledger.models import Payment, PaymentEvent, PaymentStatus
from remit.lib.transactions import require_transaction
from remit.users.models import User

CHUNK = 500  # ids per statement: well under SQLite's limit on query parameters


def _check(old: PaymentStatus, to: PaymentStatus) -> None:
    if to not in Payment.TRANSITIONS[old]:
        raise PaymentError(f"A {old.label.lower()} payment can't become {to.label.lower()}.")


def move(payment: Payment, to: PaymentStatus, *, actor: User | None, note: str = "") -> None:
    """Change one payment's status if, and only if, it is still in the status we read."""
    require_transaction("A payment's status change")
    old = PaymentStatus(payment.status)
    _check(old, to)
    changed = Payment.objects.filter(pk=payment.pk, status=old).update(status=to)
    if changed != 1:
        raise PaymentError("This payment changed a moment ago. Reload the page and try again.")
    payment.status = to
    PaymentEvent.objects.create(payment=payment, actor=actor, from_status=old, to_status=to, note=note[:500])


def move_many(
    payment_ids: Iterable[int], *, old: PaymentStatus, to: PaymentStatus, note: str, actor: User | None = None
) -> list[int]:
    """Move every payment of ``payment_ids`` that is still ``old`` to ``to`` (two statements and one
    bulk insert, however many). Returns the ids that moved; the caller decides whether the others
    (changed meanwhile) are an error."""
    require_transaction("A payment's status change")
    _check(old, to)
    ids = sorted(set(payment_ids))
    moved: list[int] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        still = Payment.objects.select_for_update().filter(pk__in=chunk, status=old).order_by("pk")
        these = list(still.values_list("pk", flat=True))
        Payment.objects.filter(pk__in=these).update(status=to)
        PaymentEvent.objects.bulk_create(
            PaymentEvent(payment_id=pk, actor=actor, from_status=old, to_status=to, note=note[:500]) for pk in these
        )
        moved += these
    return moved
