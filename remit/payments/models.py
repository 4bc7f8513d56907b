"""The ACH authorization kept with each bank account. Bank accounts, payments, their allocations and
history are part of the books, ``remit.ledger.models``, re-exported here."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
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
    Credit as Credit,
)
from remit.ledger.models import (
    CreditApplication as CreditApplication,
)
from remit.ledger.models import (
    CreditAppliedBy as CreditAppliedBy,
)
from remit.ledger.models import (
    CreditCounter as CreditCounter,
)
from remit.ledger.models import (
    CreditSource as CreditSource,
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


class OverLimit(models.TextChoices):
    REFUSE = "refuse", "Refuse the payment"
    HOLD = "hold", "Hold it for review"


class Switch(models.TextChoices):
    INHERIT = "inherit", "As the business's setting"
    ON = "on", "On"
    OFF = "off", "Off"


class PaymentSettings(models.Model):
    """The biller's switches: whether its customers may pay by ACH and use Auto Pay, and what happens
    to a payment above a customer's limit. No row: the defaults (everything allowed, refuse)."""

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, related_name="payment_settings")
    accept_ach = models.BooleanField("Accept ACH payments", default=True)
    allow_autopay = models.BooleanField("Allow Auto Pay", default=True)
    over_limit = models.CharField(max_length=6, choices=OverLimit.choices, default=OverLimit.REFUSE)
    updated_at = models.DateTimeField(default=timezone.now)


class CustomerPaymentSettings(models.Model):
    """One customer's overrides of the biller's switches, and its limits (None: no limit)."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="payment_settings")
    accept_ach = models.CharField(max_length=7, choices=Switch.choices, default=Switch.INHERIT)
    allow_autopay = models.CharField(max_length=7, choices=Switch.choices, default=Switch.INHERIT)
    max_per_payment_cents = models.BigIntegerField(null=True, blank=True)
    max_per_month_cents = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_per_payment_cents__isnull=True) | models.Q(max_per_payment_cents__gt=0),
                name="customer_max_per_payment_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(max_per_month_cents__isnull=True) | models.Q(max_per_month_cents__gt=0),
                name="customer_max_per_month_positive",
            ),
        ]


class PaymentSettingsChange(models.Model):
    """Who changed the biller's switches (``customer`` None) or a customer's, when, each changed value
    before and after, and what was done with the scheduled payments (kept, or which were cancelled)."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="payment_settings_changes")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="payment_settings_changes"
    )
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    actor_email = models.EmailField(blank=True)
    # The API key whose request made the change (``actor`` is then None); revoked keys are kept.
    api_key = models.ForeignKey("api.ApiKey", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    scheduled = models.CharField(
        max_length=9, blank=True, help_text="kept or cancelled, when something was switched off."
    )
    cancelled_payment_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]


class HoldDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class PaymentHold(models.Model):
    """A payment held for review: it stays scheduled but goes in no ACH file until the biller decides.
    Approved, it goes in the next file; rejected, it is cancelled. Written only by
    ``payments.holds.payment_hold_place`` and decided only by ``payment_hold_decide``."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="holds")
    rule_code = models.CharField(max_length=80, help_text="The rule's code; several, comma-separated.")
    reason = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by_email = models.EmailField(blank=True)
    decision = models.CharField(max_length=8, choices=HoldDecision.choices, blank=True)
    decision_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The export's NOT EXISTS and the Review queue read undecided holds only.
            models.Index(fields=["payment"], condition=models.Q(decided_at__isnull=True), name="paymenthold_undecided"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decided_at__isnull=True, decision="")
                | models.Q(decided_at__isnull=False, decision__in=["approved", "rejected"]),
                name="paymenthold_decided_with_decision",
            ),
        ]


class ValidationMethod(models.TextChoices):
    MICRO_ENTRIES = "micro_entries", "Micro-entries"
    PRENOTE = "prenote", "Prenote"
    SERVICE = "service", "Validated by the bank or another service"


class ValidationStatus(models.TextChoices):
    PENDING = "pending", "Verification pending"
    VALIDATED = "validated", "Verified"
    FAILED = "failed", "Verification failed"
    LOCKED = "locked", "Locked after too many attempts"


class ValidationChoice(models.Model):
    """How the biller has new bank accounts validated before their first debit (NACHA's WEB rule).
    Every choice is a row, never changed: the newest is in force, the rest is the audit trail. A
    biller with none uses micro-entries (``payments.validation.current_choice``)."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="validation_choices")
    method = models.CharField(max_length=20, choices=ValidationMethod.choices)
    offsetting_debit = models.BooleanField(default=False, help_text="Micro-entries: debit back their sum.")
    statement = models.TextField(blank=True, help_text="Validated by another service: the biller's statement.")
    chosen_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    chosen_by_email = models.EmailField(blank=True)
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-chosen_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} ({self.chosen_at:%Y-%m-%d})"


class AccountValidation(models.Model):
    """The validation of one bank account, kept with its ACH authorization: the method the biller's
    choice gave it, the micro-entry amounts (never shown to anyone), the attempts, and the result.
    A changed account number is a new ``BankAccount``, so it is validated again."""

    authorization = models.OneToOneField(AchAuthorization, on_delete=models.PROTECT, related_name="validation")
    bank_account = models.OneToOneField(BankAccount, on_delete=models.PROTECT, related_name="validation")
    choice = models.ForeignKey(ValidationChoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    method = models.CharField(max_length=20, choices=ValidationMethod.choices)
    status = models.CharField(max_length=10, choices=ValidationStatus.choices, default=ValidationStatus.PENDING)
    amount_1_cents = models.PositiveSmallIntegerField(null=True, blank=True)
    amount_2_cents = models.PositiveSmallIntegerField(null=True, blank=True)
    offsetting_debit = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_on = models.DateField(null=True, blank=True, help_text="Effective date of the file with its entries.")
    expires_on = models.DateField(null=True, blank=True, help_text="Micro-entries: the last day they can be entered.")
    validated_at = models.DateTimeField(null=True, blank=True)
    validated_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_1_cents__isnull=True) | Q(amount_1_cents__gte=1, amount_1_cents__lte=99),
                name="validation_amount_1_under_a_dollar",
            ),
            models.CheckConstraint(
                condition=Q(amount_2_cents__isnull=True) | Q(amount_2_cents__gte=1, amount_2_cents__lte=99),
                name="validation_amount_2_under_a_dollar",
            ),
        ]
        indexes = [models.Index(fields=["method", "status", "sent_on"], name="validation_to_send")]

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.get_status_display()}"


class PaymentRiskRules(models.Model):
    """The biller's rules that hold a payment for review before it goes into an ACH file
    (``payments.risk_rules``), each on or off with its parameter. No row: the defaults, every rule on
    (a biller that never opened the page is protected as one that did)."""

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, related_name="risk_rules")
    new_account_on = models.BooleanField(default=True)
    new_account_above_cents = models.BigIntegerField(default=250_000)
    account_change_on = models.BooleanField(default=True)
    account_change_days = models.PositiveSmallIntegerField(default=7)
    unusual_amount_on = models.BooleanField(default=True)
    unusual_amount_times = models.PositiveSmallIntegerField(default=3)
    many_accounts_on = models.BooleanField(default=True)
    many_accounts_count = models.PositiveSmallIntegerField(default=3)
    shared_account_on = models.BooleanField(default=True)
    shared_account_customers = models.PositiveSmallIntegerField(default=2)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(new_account_above_cents__gt=0), name="risk_new_account_positive"),
            models.CheckConstraint(
                condition=models.Q(account_change_days__gte=1, account_change_days__lte=60),
                name="risk_account_change_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(unusual_amount_times__gte=2, unusual_amount_times__lte=100),
                name="risk_unusual_amount_times_range",
            ),
            models.CheckConstraint(
                condition=models.Q(many_accounts_count__gte=2, many_accounts_count__lte=50),
                name="risk_many_accounts_count_range",
            ),
            models.CheckConstraint(
                condition=models.Q(shared_account_customers__gte=2, shared_account_customers__lte=50),
                name="risk_shared_account_customers_range",
            ),
        ]


class ReceiptCounter(models.Model):
    """The biller's next receipt number, advanced under a row lock in the transaction that issues
    the receipts (``payments.receipts``), so a rolled-back settlement gives its numbers back."""

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, primary_key=True, related_name="+")
    next_number = models.PositiveBigIntegerField(default=1)


class Receipt(models.Model):
    """The payer's proof that money was received: one per payment, ever, issued when the payment
    settles (an ACH debit no return came back for in time, or money the biller recorded as received),
    never when it is only scheduled. A return after it withdraws it (``withdrawn_at``), once; a
    dishonored return that restores the payment reinstates it. The invoices it paid are the payment's
    allocations; the bank account is described to each reader as ``payments.disclosure`` allows."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="receipts")
    # One receipt per payment, enforced by the database (the one-to-one's unique constraint): two
    # workers settling at once, or settlement run again, can't issue a second.
    payment = models.OneToOneField(Payment, on_delete=models.CASCADE, related_name="receipt")
    number = models.CharField(max_length=20)
    amount_cents = models.BigIntegerField()
    settled_on = models.DateField()
    issued_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_code = models.CharField(max_length=3, blank=True, help_text="The return's R code.")
    withdrawn_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint("biller", "number", name="receipt_number_unique_per_biller"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="receipt_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Receipt {self.number}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"
