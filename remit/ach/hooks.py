"""What the ACH app tells the apps above it (see ``remit.lib.hooks``)."""

from __future__ import annotations

from remit.lib.hooks import Hook

# A recorded NACHA file is ready for the bank: its export committed. Called with the ``AchFile`` id by
# whoever ran the export (the worker at the biller's cut-off, `remit ach export`); the receiver
# (``remit.bank``, registered in ``BankConfig.ready``) queues its delivery over SFTP when the biller
# has a bank connection. The bank app's periodic sweep finds any file this missed.
file_written: Hook[[int], None] = Hook("file_written")
