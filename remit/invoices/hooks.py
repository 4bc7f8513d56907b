"""What invoices tell the apps above them (see ``remit.lib.hooks``)."""

from __future__ import annotations

from collections.abc import Sequence

from remit.lib.hooks import Hook

# Invoices were created or edited (amount, due date, customer): Auto Pay must look at them. Called
# inside the transaction of the change, once per change with every invoice it touched; the receiver
# (``remit.autopay``, registered in ``AutoPayConfig.ready``) schedules, re-plans or withdraws its
# payments for them in that same transaction, and answers whether it changed any of their payments
# (their ``pending_cents`` may then have moved: a caller holding the invoices reads them again).
invoices_changed: Hook[[Sequence[int]], bool] = Hook("invoices_changed")
