"""A returned payment stands after all: the customer's bank returned the debit, then the biller's bank
dishonored that return (R61, R67–R70), so the money is the biller's. The payment becomes *settled*
again and its invoices are paid again — the one move out of *returned* (``Payment.TRANSITIONS``).

What the books must stay true to while doing it:

- **An invoice is never paid twice.** After the return the customer may have paid the invoice again.
  Money that has not moved yet makes room: scheduled payments (by hand or Auto Pay) give up their
  part of the invoice, the latest Pay On first, and a payment left with nothing is cancelled — the
  invoice is paid, there is nothing to collect. Money that has moved (a payment sent or settled
  since, a recorded cheque) can't be undone here: the payment then stays returned and the caller
  says why, so that the biller refunds one of the two. The same when an invoice was voided since.
- **The block stays.** A return with a code that says the account can't be debited blocked the
  account, turned Auto Pay off and ended the customer's authorization (``bank_account_retire``).
  Restoring the money does not undo that: the customer's bank said something about the account (it
  is closed, it does not exist, the debit was not authorized) that the biller's bank refusing the
  return for its timing or form does not contradict, and debiting again needs a new authorization
  anyway. The customer adds the account again (a new authorization) and turns Auto Pay back on if
  they want; the email says so. Nothing starts debiting by itself.

Locks in the ledger's order: the invoices by id, then the payments to restore by id, then the
scheduled payments that make room (only a writer holding these invoices' locks could wait on them).
Call inside the caller's transaction (the return import's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from remit.invoices.models import Invoice
from remit.ledger.balances import refresh_invoice_amounts
from remit.ledger.errors import PaymentError
from remit.ledger.locks import lock_invoices
from remit.ledger.scheduling import payment_adjust
from remit.ledger.states import move_many
from remit.lib.money import format_cents
from remit.lib.transactions import require_transaction
from remit.payments.models import Allocation, Payment, PaymentStatus
from remit.payments.receipts import receipts_reinstate
from remit.webhooks.emit import webhooks_emit, webhooks_paid_watch
from remit.webhooks.models import EventType


@dataclass(frozen=True)
class Restore:
    """Restore ``payment_id``: ``note`` is its history's line (naming no account), ``webhook`` what
    its ``payment.settled`` event adds under ``dishonored_return``."""

    payment_id: int
    note: str
    webhook: dict[str, str] = field(default_factory=dict)


@dataclass
class RestoreResult:
    restored: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # payment id → why it stays returned
    # restored payment id → the scheduled payments that gave up their part of its invoices
    adjusted: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class _Room:
    """An invoice as the restore sees it, kept up to date as payments are restored one by one."""

    invoice: Invoice
    paid: int
    pending: int

    @property
    def free(self) -> int:
        return self.invoice.total_cents - self.invoice.credited_cents - self.paid - self.pending


def payments_restore_many(restores: Sequence[Restore]) -> RestoreResult:
    """Restore each payment that is still *returned*, or say why not (see the module's text)."""
    require_transaction("Restoring payments")
    result = RestoreResult()
    by_id = {item.payment_id: item for item in restores}
    allocations = list(Allocation.objects.filter(payment_id__in=sorted(by_id)).order_by("payment_id", "invoice_id"))
    invoices = lock_invoices([a.invoice_id for a in allocations])
    payments = Payment.objects.select_for_update().filter(pk__in=sorted(by_id)).order_by("pk").in_bulk()
    rooms = {pk: _Room(invoice, invoice.paid_cents, invoice.pending_cents) for pk, invoice in invoices.items()}
    parts: dict[int, list[Allocation]] = {}
    for allocation in allocations:
        parts.setdefault(allocation.payment_id, []).append(allocation)
    for payment_id in sorted(by_id):
        payment = payments.get(payment_id)
        if payment is None or payment.status != PaymentStatus.RETURNED:
            result.refused[payment_id] = "The payment is no longer returned."
            continue
        problem = _problem(parts.get(payment_id, []), rooms)
        if problem:
            result.refused[payment_id] = problem
            continue
        result.adjusted[payment_id] = _make_room(parts.get(payment_id, []), rooms)
        for allocation in parts.get(payment_id, []):
            rooms[allocation.invoice_id].paid += allocation.amount_cents
        result.restored.append(payment_id)
    for note, ids in _by_note([by_id[pk] for pk in result.restored]).items():
        moved = move_many(ids, old=PaymentStatus.RETURNED, to=PaymentStatus.SETTLED, note=note)
        if len(moved) != len(ids):  # the payments are locked: nothing else can have moved them
            raise PaymentError("A payment changed while it was being restored; nothing was restored.")
    refresh_invoice_amounts(list(invoices), paid_watch=webhooks_paid_watch)  # invoice.paid, as a settlement
    extras = {pk: {"dishonored_return": by_id[pk].webhook} for pk in result.restored}
    webhooks_emit(type=EventType.PAYMENT_SETTLED, ids=result.restored, extras=extras)
    receipts_reinstate(result.restored)  # settled after all: the receipt stands (or is issued now)
    return result


def _problem(parts: list[Allocation], rooms: dict[int, _Room]) -> str:
    """Why the payment can't be paid into its invoices again, or "" when it can (counting what the
    scheduled payments on them would give up)."""
    for allocation in parts:
        room = rooms[allocation.invoice_id]
        invoice = room.invoice
        if invoice.is_void:
            return f"Invoice {invoice.number} was voided after the return."
        movable = _scheduled_cents(invoice.pk)
        if allocation.amount_cents > room.free + movable:
            others = room.paid + room.pending - movable
            return (
                f"Invoice {invoice.number} was paid again after the return ({format_cents(others)} paid or on its "
                "way by other payments): the customer paid twice, so refund one of the payments."
            )
    return ""


def _scheduled(invoice_id: int) -> list[tuple[int, int]]:
    """The scheduled payments' parts of an invoice, (payment id, cents), the latest Pay On first."""
    allocations = Allocation.objects.filter(invoice_id=invoice_id, payment__status=PaymentStatus.SCHEDULED)
    return list(allocations.order_by("-payment__pay_on", "-payment_id").values_list("payment_id", "amount_cents"))


def _scheduled_cents(invoice_id: int) -> int:
    return sum(cents for _, cents in _scheduled(invoice_id))


def _make_room(parts: list[Allocation], rooms: dict[int, _Room]) -> list[int]:
    """Take from the scheduled payments on each invoice what the restored payment needs there.
    Returns the payments changed (a payment left with nothing is cancelled by ``payment_adjust``)."""
    changed: list[int] = []
    for allocation in parts:
        room = rooms[allocation.invoice_id]
        short = allocation.amount_cents - room.free
        for payment_id, cents in _scheduled(allocation.invoice_id):
            if short <= 0:
                break
            take = min(cents, short)
            payment_adjust(
                payment=Payment(pk=payment_id),
                actor=None,
                note=f"Invoice {room.invoice.number} is paid: an earlier payment stands after all",
                invoice_cents={allocation.invoice_id: cents - take},
            )
            room.pending -= take
            short -= take
            changed.append(payment_id)
    return changed


def _by_note(restores: list[Restore]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for item in restores:
        grouped.setdefault(item.note, []).append(item.payment_id)
    return grouped
