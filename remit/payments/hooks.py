"""What payments tell the apps above them (see ``remit.lib.hooks``)."""

from __future__ import annotations

from remit.lib.hooks import Hook
from remit.payments.models import BankAccount
from remit.users.models import User

# A bank account can no longer be debited (its owner removed it, the bank blocked it with a return,
# or the colleague whose private account it is left). Called in the transaction that retires it,
# before its scheduled payments are cancelled. The receiver (``remit.autopay``, registered in
# ``AutoPayConfig.ready``) turns Auto Pay off if it paid from the account, withdraws its payments and
# tells the admins; it returns whether Auto Pay was on with the account.
bank_account_retired: Hook[[BankAccount, User | None, str], bool] = Hook("bank_account_retired")
