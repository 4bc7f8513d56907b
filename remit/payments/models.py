"""The ACH authorization kept with each bank account. Bank accounts, payments, their allocations and
history are part of the books, ``remit.ledger.models``, re-exported here."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from remit.ledger.models import (
    CLEARED as CLEARED,
)
from remit.ledger.models import (
    IN_FLIGHT as IN_FLIGHT,
)
from remit.ledger.models import (
    Allocation as Allocation,
)
from remit.ledger.models import (
    BankAccount as BankAccount,
)
from remit.ledger.models import (
    BankAccountStatus as BankAccountStatus,
)
from remit.ledger.models import (
    BankAccountType as BankAccountType,
)
from remit.ledger.models import (
    Payment as Payment,
)
from remit.ledger.models import (
    PaymentEvent as PaymentEvent,
)
from remit.ledger.models import (
    PaymentMethod as PaymentMethod,
)
from remit.ledger.models import (
    PaymentStatus as PaymentStatus,
)


class AchAuthorization(models.Model):
    """The customer's acceptance of the Terms of Service (with, for a Personal account, the ACH debit
    authorization) when adding a bank account: who, which account, the exact text, when, from where.
    Never deleted; kept at least two years after the account is removed (NACHA's WEB rule)."""

    bank_account = models.OneToOneField(BankAccount, on_delete=models.PROTECT, related_name="authorization")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="ach_authorizations")
    accepted_by = models.ForeignKey("users.User", on_delete=models.PROTECT, related_name="+")
    accepted_by_email = models.EmailField()
    customer_account_type = models.CharField(max_length=10, help_text="Personal or business, when accepted.")
    account_masked = models.CharField(max_length=12)
    routing_number = models.CharField(max_length=9)
    holder_name = models.CharField(max_length=100)
    terms_version = models.CharField(max_length=40)
    terms_sha256 = models.CharField(max_length=64)
    terms_text = models.TextField()
    accepted_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=500, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When the account was removed or blocked.")

    class Meta:
        ordering = ["-accepted_at", "-pk"]
