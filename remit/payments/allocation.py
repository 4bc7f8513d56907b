"""How a payment is split across invoices (a pure core): the oldest due date first, never more on an
invoice than its amount available to pay, and the parts always add up to the payment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Payable:
    invoice_id: int
    due_date: date
    available_cents: int


class AllocationError(ValueError):
    pass


def allocate(total_cents: int, payables: Sequence[Payable]) -> list[tuple[int, int]]:
    """[(invoice id, cents)] for ``total_cents`` over ``payables``, oldest due date first (then id)."""
    if total_cents <= 0:
        raise AllocationError("The Total Payment must be more than $0.00.")
    available = sum(max(p.available_cents, 0) for p in payables)
    if total_cents > available:
        raise AllocationError("The Total Payment is more than what is available to pay on the selected invoices.")
    parts: list[tuple[int, int]] = []
    left = total_cents
    for payable in sorted(payables, key=lambda p: (p.due_date, p.invoice_id)):
        if left == 0:
            break
        part = min(left, max(payable.available_cents, 0))
        if part > 0:
            parts.append((payable.invoice_id, part))
            left -= part
    return parts


@dataclass(frozen=True)
class Usable:
    """A credit as the spreading sees it: what is left of it to apply."""

    credit_id: int
    unapplied_cents: int


def spread_credits(
    credits: Sequence[Usable], payables: Sequence[Payable], *, limit_cents: int | None = None
) -> list[tuple[int, int, int]]:
    """[(credit id, invoice id, cents)]: the credits (in the order given, oldest first) over the
    invoices, oldest due date first (then id), never more on an invoice than its amount available
    to pay, nor more of a credit than is left of it, nor more in all than ``limit_cents``."""
    left = {c.credit_id: max(c.unapplied_cents, 0) for c in credits}
    budget = sum(left.values()) if limit_cents is None else min(max(limit_cents, 0), sum(left.values()))
    parts: list[tuple[int, int, int]] = []
    for payable in sorted(payables, key=lambda p: (p.due_date, p.invoice_id)):
        room = max(payable.available_cents, 0)
        for credit in credits:
            if room == 0 or budget == 0:
                break
            part = min(room, left[credit.credit_id], budget)
            if part > 0:
                parts.append((credit.credit_id, payable.invoice_id, part))
                left[credit.credit_id] -= part
                room -= part
                budget -= part
    return parts
