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
