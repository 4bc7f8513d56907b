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

# The biller switched Auto Pay (or ACH) off for these customers (``payments.controls``), in the
# transaction of the change, after cancelling the payments of the second list if the owner chose to.
# The receiver (``remit.autopay``) emails the admins of those whose Auto Pay was on that it no longer
# runs (its engine makes no new payments for them while it is off); it returns how many it told.
autopay_disallowed: Hook[[list[int], list[int]], int] = Hook("autopay_disallowed")
