"""Payments against invoices, and how each is split across them (allocations).

A payment's status moves only along ``Payment.TRANSITIONS``, only inside actions, and every move
appends a ``PaymentEvent``. ACH payments (issue 5) start *scheduled*; a payment the biller received
outside Remit (a cheque, a wire) is recorded as *settled* at once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class PaymentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent to the bank"
    SETTLED = "settled", "Settled"
    RETURNED = "returned", "Returned"
    CANCELLED = "cancelled", "Cancelled"


class PaymentMethod(models.TextChoices):
    ACH = "ach", "ACH debit"
    CHECK = "check", "Check"
    WIRE = "wire", "Wire transfer"
    CASH = "cash", "Cash"
    OTHER = "other", "Other"


# Money that has cleared, and money on its way: what invoices' paid and pending amounts count.
CLEARED = (PaymentStatus.SETTLED,)
IN_FLIGHT = (PaymentStatus.SCHEDULED, PaymentStatus.SENT)


class BankAccountType(models.TextChoices):
    CHECKING = "checking", "Checking"
    SAVINGS = "savings", "Savings"


class BankAccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REMOVED = "removed", "Removed"
    BLOCKED = "blocked", "Blocked by the bank"


class BankAccount(models.Model):
    """A customer's bank account for ACH debits. The number is stored only encrypted (remit.lib.crypto)
    and shown only masked. A *private* account is visible to and usable by only the person who added
    it. Accounts are never deleted — removed ones keep their authorization record."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="bank_accounts")
    added_by = models.ForeignKey("users.User", on_delete=models.PROTECT, related_name="+")
    holder_name = models.CharField("name on the account", max_length=100)
    routing_number = models.CharField(max_length=9)
    account_type = models.CharField(max_length=10, choices=BankAccountType.choices)
    account_number_encrypted = models.TextField(editable=False)
    account_last4 = models.CharField(max_length=4, editable=False)
    lookup_hash = models.CharField(max_length=64, editable=False)
    is_private = models.BooleanField("private", default=False)
    # "shared", or "user:<id>" for a private account: the same number may be saved once per view.
    visibility_key = models.CharField(max_length=40, editable=False)
    status = models.CharField(max_length=10, choices=BankAccountStatus.choices, default=BankAccountStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                "customer",
                "lookup_hash",
                "visibility_key",
                condition=Q(status="active"),
                name="bank_account_once_per_view",
            ),
            models.CheckConstraint(
                condition=Q(routing_number__regex=r"^[0-9]{9}$"), name="bank_account_routing_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def masked_number(self) -> str:
        return f"••••{self.account_last4}"

    @property
    def label(self) -> str:
        return f"{self.get_account_type_display()} {self.masked_number}"


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


class Payment(models.Model):
    TRANSITIONS = {
        PaymentStatus.SCHEDULED: {PaymentStatus.SENT, PaymentStatus.CANCELLED},
        PaymentStatus.SENT: {PaymentStatus.SETTLED, PaymentStatus.RETURNED},
        PaymentStatus.SETTLED: {PaymentStatus.RETURNED},
        PaymentStatus.RETURNED: set(),
        PaymentStatus.CANCELLED: set(),
    }

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="payments")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices)
    amount_cents = models.BigIntegerField()
    pay_on = models.DateField(
        help_text="For ACH: the date the money leaves the customer's account. Otherwise: received on."
    )
    reference = models.CharField(max_length=100, blank=True, help_text="Check number, wire reference…")
    bank_account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    # NULL, not "": only payments that carry a key are unique on it.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    is_autopay = models.BooleanField(default=False)
    created_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pay_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_amount_positive"),
            # A double click or a re-submitted form carries the same key: one payment, never two.
            models.UniqueConstraint("customer", "idempotency_key", name="payment_idempotency_key_once"),
            models.CheckConstraint(
                condition=~Q(method="ach") | Q(bank_account__isnull=False), name="payment_ach_needs_bank_account"
            ),
        ]
        indexes = [
            models.Index(fields=["biller", "status", "pay_on"], name="payment_biller_status_day"),
            models.Index(fields=["customer", "-pay_on"], name="payment_customer_recent"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk}"


class Allocation(models.Model):
    """The part of a payment that pays one invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="allocations")
    amount_cents = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint("payment", "invoice", name="allocation_one_per_invoice"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="allocation_amount_positive"),
        ]


class PaymentEvent(models.Model):
    """Append-only history: every status change, with who made it and why."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    from_status = models.CharField(max_length=10, choices=PaymentStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=PaymentStatus.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
