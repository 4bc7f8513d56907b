"""What the ledger refuses. The apps above re-raise or render it like their own errors."""

from __future__ import annotations


class PaymentError(ValueError):
    """A payment can't change as asked; ``field`` names the form field at fault, when there is one."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field
