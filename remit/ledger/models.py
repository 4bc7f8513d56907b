"""The books: invoices, the bank accounts money is drawn from, payments, how each payment is split
across invoices (allocations), its history, and Auto Pay's claims. Amounts are integer cents.

The rules that change these rows live next to them in ``remit.ledger`` (locks, amounts, the payment
state machine, scheduling); the apps above (invoices, payments, autopay, ach) call down into them.
Each model keeps the app label it was born with (``invoices``, ``payments``, ``autopay``), so its
table, its migrations and ``"payments.Payment"``-style references are unchanged; the apps' own
``models`` modules re-export them.

``Invoice.paid_cents`` and ``pending_cents`` are sums of allocations, and ``credited_cents`` the sum
of the credits applied to it, kept on the invoice so that lists, the dashboard and Auto Pay can
filter and sum without joins; they are written only by ``ledger.balances.refresh_invoice_amounts``
inside the transaction that changed the payments or credits, and the database refuses any state
where more is paid, pending or credited than the invoice's total.

A *credit* (``Credit``) is money the biller owes the customer back: issued by the biller, or the
part of a cheque above what was owed. It is applied to invoices (``CreditApplication``); what is not
applied yet is the customer's account credit. ``Credit.applied_cents`` is kept the same way (written
only by ``ledger.balances.refresh_credit_amounts``), and the database refuses applying more than the
credit.

A payment's status moves only along ``Payment.TRANSITIONS``, only through ``ledger.states``, and every
move appends a ``PaymentEvent``. ACH payments start *scheduled*; a returned one becomes *settled* again
only when the biller's bank dishonors its return; a payment the biller received
outside Remit (a cheque, a wire) is recorded as *settled* at once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from remit.ledger import amounts
from remit.ledger.status import InvoiceStatus
from remit.lib.terms import TERMS_LABELS

TERMS_CHOICES = [(key, label) for key, label in TERMS_LABELS.items()] + [("custom", "Custom due date")]


class Invoice(models.Model):
    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="invoices")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField("invoice number", max_length=40)
    issue_date = models.DateField()
    due_date = models.DateField()
    terms = models.CharField(max_length=20, choices=TERMS_CHOICES, default="net_30")
    memo = models.TextField(blank=True, max_length=2000)
    tax_rate = models.DecimalField("tax rate (%)", max_digits=6, decimal_places=3, default=Decimal(0))
    subtotal_cents = models.BigIntegerField()
    tax_cents = models.BigIntegerField(default=0)
    total_cents = models.BigIntegerField()
    paid_cents = models.BigIntegerField(default=0, editable=False)
    pending_cents = models.BigIntegerField(default=0, editable=False)
    credited_cents = models.BigIntegerField(default=0, editable=False)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "invoices"
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint("biller", "number", name="invoice_number_unique_per_biller"),
            models.CheckConstraint(
                condition=Q(subtotal_cents__gte=0, tax_cents__gte=0), name="invoice_parts_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(total_cents=F("subtotal_cents") + F("tax_cents")), name="invoice_total_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(paid_cents__gte=0, pending_cents__gte=0, credited_cents__gte=0),
                name="invoice_payments_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(paid_cents__lte=F("total_cents") - F("pending_cents") - F("credited_cents")),
                name="invoice_never_overpaid",
            ),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"),
        ]
        indexes = [
            models.Index(fields=["biller", "-issue_date", "-id"], name="invoice_biller_recent"),
            models.Index(fields=["biller", "due_date"], name="invoice_biller_due"),
            models.Index(fields=["customer", "-issue_date"], name="invoice_customer_recent"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    @property
    def balance_cents(self) -> int:
        return amounts.balance_cents(total=self.total_cents, paid=self.paid_cents, credited=self.credited_cents)

    @property
    def available_cents(self) -> int:
        return amounts.available_cents(
            total=self.total_cents,
            paid=self.paid_cents,
            pending=self.pending_cents,
            credited=self.credited_cents,
            voided=self.is_void,
        )

    def status_on(self, today: date) -> InvoiceStatus:
        return amounts.invoice_status(
            total=self.total_cents,
            paid=self.paid_cents,
            credited=self.credited_cents,
            due_date=self.due_date,
            voided=self.is_void,
            today=today,
        )

    @property
    def status(self) -> InvoiceStatus:
        return self.status_on(timezone.localdate())

    @property
    def terms_label(self) -> str:
        return TERMS_LABELS.get(self.terms, "")


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
    # The first effective date a live debit from this account may carry: set once the account is
    # validated (``payments.validation``); NULL until then, and no debit from it goes into a file.
    debits_from = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        app_label = "payments"
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


class Payment(models.Model):
    TRANSITIONS = {
        PaymentStatus.SCHEDULED: {PaymentStatus.SENT, PaymentStatus.CANCELLED},
        PaymentStatus.SENT: {PaymentStatus.SETTLED, PaymentStatus.RETURNED},
        PaymentStatus.SETTLED: {PaymentStatus.RETURNED},
        # A dishonored return: the biller's bank refused the customer's bank's return, so the debit
        # stands and the money is the biller's (``payments.restore``). A contested dishonored return
        # makes it returned again (settled → returned).
        PaymentStatus.RETURNED: {PaymentStatus.SETTLED},
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
    # A retry of a payment returned for insufficient or uncollected funds (R01/R09): the original
    # payment of the chain (every retry points at the original, never at an earlier retry).
    retry_of = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="retries", editable=False
    )
    created_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "payments"
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
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount_cents = models.BigIntegerField()

    class Meta:
        app_label = "payments"
        constraints = [
            models.UniqueConstraint("payment", "invoice", name="allocation_one_per_invoice"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="allocation_amount_positive"),
        ]


class PaymentEvent(models.Model):
    """Append-only history: every status change, with who made it and why."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    # The API key whose request made the change (the API's writes: ``actor`` is then None).
    api_key = models.ForeignKey("api.ApiKey", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=10, choices=PaymentStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=PaymentStatus.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "payments"
        ordering = ["created_at", "id"]


class AutoPayClaim(models.Model):
    """Auto Pay's one payment for one invoice. Unique per invoice: two sweeps, two workers, or a
    sweep racing a settings change can never make a second."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="autopay_claim")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="autopay_claim")
    settings_version = models.PositiveIntegerField()
    # What Auto Pay could not pay because the invoice is above the maximum: the customer pays it by hand.
    left_to_pay_cents = models.BigIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "autopay"
        indexes = [
            models.Index(fields=["notified_at"], name="autopay_claim_to_notify", condition=Q(notified_at__isnull=True)),
            models.Index(fields=["customer", "settings_version"], name="autopay_claim_customer_version"),
        ]


class CreditSource(models.TextChoices):
    ISSUED = "issued", "Issued by the biller"
    OVERPAYMENT = "overpayment", "Overpayment of a payment received offline"


class CreditAppliedBy(models.TextChoices):
    BILLER = "biller", "The biller"
    AUTOPAY = "autopay", "Auto Pay"
    PAYER = "payer", "The payer, in the portal"


class Credit(models.Model):
    """Money the biller owes the customer back, numbered per biller like an invoice (``CN-000001``).
    ``applied_cents`` is the sum of its applications (kept by ``refresh_credit_amounts``); the rest
    is the customer's unapplied account credit, which the portal and Auto Pay use first."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="credits")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="credits")
    number = models.CharField("credit note number", max_length=40)
    amount_cents = models.BigIntegerField()
    applied_cents = models.BigIntegerField(default=0, editable=False)
    reason = models.CharField(max_length=500)
    source = models.CharField(max_length=12, choices=CreditSource.choices, default=CreditSource.ISSUED)
    # An overpayment's credit: the payment whose excess it is.
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="credits", editable=False
    )
    created_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    api_key = models.ForeignKey("api.ApiKey", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "payments"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint("biller", "number", name="credit_number_unique_per_biller"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="credit_amount_positive"),
            models.CheckConstraint(
                condition=Q(applied_cents__gte=0, applied_cents__lte=F("amount_cents")),
                name="credit_never_overapplied",
            ),
        ]
        indexes = [models.Index(fields=["customer", "created_at"], name="credit_customer_oldest")]

    def __str__(self) -> str:
        return self.number

    @property
    def unapplied_cents(self) -> int:
        return self.amount_cents - self.applied_cents


class CreditApplication(models.Model):
    """The part of a credit that pays one invoice."""

    credit = models.ForeignKey(Credit, on_delete=models.PROTECT, related_name="applications")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_applications")
    amount_cents = models.BigIntegerField()
    applied_by = models.CharField(max_length=10, choices=CreditAppliedBy.choices)
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "payments"
        ordering = ["applied_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="credit_application_amount_positive"),
        ]


class CreditCounter(models.Model):
    """The biller's next credit note number; locked while a credit is numbered (see ``credit_issue``)."""

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, related_name="+")
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        app_label = "payments"
