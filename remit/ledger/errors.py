"""What the ledger refuses. The apps above re-raise or render it like their own errors."""

from __future__ import annotations

from remit.lib.errors import ActionError


class PaymentError(ActionError):
    """A payment can't change as asked; ``field`` names the form field at fault, when there is one."""
