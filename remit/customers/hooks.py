"""What customer accounts tell the apps above them (see ``remit.lib.hooks``)."""

from __future__ import annotations

from remit.lib.hooks import Hook
from remit.users.models import User

# A person lost access to a customer account (removed by an admin, or left). Called in the
# transaction of the removal with (the person, who removed them). The receiver (``remit.payments``,
# registered in ``PaymentsConfig.ready``) removes their private bank accounts, which nobody else may
# see or use.
member_left: Hook[[User, User], None] = Hook("member_left")
