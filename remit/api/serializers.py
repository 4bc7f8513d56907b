"""What the API reads and writes. Amounts are integer cents (``*_cents``), dates ISO 8601,
quantities and tax rates decimal strings. Bank accounts appear only as ``masked_number``.

Input serializers check types and sizes only; the rules live in the actions they feed
(``customers.rules`` via ``customer_create``, ``invoices.actions.invoice_check``…).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from remit.ach.models import AchEntry, AchFile, AchReturn
from remit.customers.models import AccountType, Customer
from remit.customers.rules import parse_emails
from remit.invoices.models import TERMS_CHOICES, Invoice, InvoiceLine, InvoiceSend
from remit.invoices.status import InvoiceStatus
from remit.lib.money import MAX_CENTS
from remit.payments.models import Allocation, BankAccount, Payment, PaymentEvent, PaymentStatus

MAX_ID = 2**63 - 1
OUTSTANDING = ("outstanding", "Outstanding (open, partially paid or overdue)")


class AsciiDigitsMixin:
    """A number given as a JSON string must be written in ASCII: DRF's ``int()`` and ``Decimal()``
    read any script's digits ("٥" would be 5), and money is typed in 0–9 only (lib/money.py)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not data.isascii():
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class IntegerField(AsciiDigitsMixin, serializers.IntegerField):
    pass


class DecimalField(AsciiDigitsMixin, serializers.DecimalField):
    pass


def cents(**kwargs: Any) -> serializers.IntegerField:
    return IntegerField(min_value=0, max_value=MAX_CENTS, **kwargs)


# --- Customers -------------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    billing_emails = serializers.ListField(child=serializers.EmailField(), read_only=True)
    account_type = serializers.SerializerMethodField(help_text="Chosen by the customer when they sign up.")
    archived = serializers.BooleanField(source="is_archived", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "reference",
            "billing_emails",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "country",
            "account_type",
            "archived",
            "archived_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=AccountType.choices, allow_null=True))
    def get_account_type(self, customer: Customer) -> str | None:
        return customer.account_type or None


ADDRESS_FIELDS = {"address_line1": 200, "address_line2": 200, "city": 100, "state": 100, "postal_code": 20}


def _optional_text(max_length: int) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True)


class CustomerWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    billing_emails = serializers.ListField(
        child=serializers.CharField(max_length=254),
        max_length=10,
        help_text="Where invoices are emailed: 1 to 10 addresses.",
    )
    reference = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="Your own id for the customer; unique."
    )
    address_line1 = _optional_text(200)
    address_line2 = _optional_text(200)
    city = _optional_text(100)
    state = _optional_text(100)
    postal_code = _optional_text(20)
    country = serializers.CharField(
        min_length=2, max_length=2, required=False, help_text="Two-letter code (default US)."
    )

    def validate_billing_emails(self, value: list[str]) -> list[str]:
        valid, invalid = parse_emails(value)
        if invalid:
            raise serializers.ValidationError(f"Not an email address: {', '.join(invalid)}.")
        return valid


class CustomerFilterSerializer(serializers.Serializer[Any]):
    archived = serializers.BooleanField(
        required=False, default=False, help_text="true: only archived customers; false (default): only active ones."
    )
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Words to find in name, reference or emails."
    )


# --- Invoices --------------------------------------------------------------------------------------


class InvoiceLineSerializer(serializers.ModelSerializer[InvoiceLine]):
    class Meta:
        model = InvoiceLine
        fields = ["position", "description", "quantity", "unit_price_cents", "amount_cents"]
        read_only_fields = fields


class InvoiceSendSerializer(serializers.ModelSerializer[InvoiceSend]):
    recipients = serializers.ListField(child=serializers.EmailField(), read_only=True)

    class Meta:
        model = InvoiceSend
        fields = ["id", "invoice", "recipients", "sent_at"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer[Invoice]):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    status = serializers.SerializerMethodField()
    balance_cents = serializers.IntegerField(read_only=True, help_text="Total minus what has cleared.")
    available_cents = serializers.IntegerField(
        read_only=True, help_text="What can still be paid: the balance minus payments scheduled or on their way."
    )
    lines = InvoiceLineSerializer(many=True, read_only=True)
    sends = InvoiceSendSerializer(many=True, read_only=True, help_text="Every time it was emailed, newest first.")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "status",
            "issue_date",
            "due_date",
            "terms",
            "tax_rate",
            "memo",
            "subtotal_cents",
            "tax_cents",
            "total_cents",
            "paid_cents",
            "pending_cents",
            "balance_cents",
            "available_cents",
            "voided_at",
            "void_reason",
            "lines",
            "sends",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=InvoiceStatus.choices))
    def get_status(self, invoice: Invoice) -> str:
        return str(invoice.status)


class LineWriteSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=500)
    quantity = DecimalField(max_digits=12, decimal_places=3, min_value=Decimal(0), required=False, default=Decimal(1))
    unit_price_cents = cents()


class InvoiceCreateSerializer(serializers.Serializer[Any]):
    customer = IntegerField(min_value=1, max_value=MAX_ID, help_text="The customer's id.")
    number = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="Empty or omitted: the next number in sequence."
    )
    issue_date = serializers.DateField(required=False, help_text="Default: today.")
    terms = serializers.ChoiceField(
        choices=TERMS_CHOICES, required=False, help_text="Default: the biller's default terms."
    )
    due_date = serializers.DateField(required=False, allow_null=True, help_text="Only with terms “custom”.")
    tax_rate = DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        default=Decimal(0),
        help_text='Percent, e.g. "8.25".',
    )
    memo = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    lines = serializers.ListField(
        child=LineWriteSerializer(),
        min_length=1,
        max_length=200,
        error_messages={"min_length": "Add at least one line.", "max_length": "An invoice has at most 200 lines."},
    )


class InvoiceVoidSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, help_text="The customer sees it in the email that tells them.")


class InvoiceFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=[OUTSTANDING, *InvoiceStatus.choices], required=False)
    customer = IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="A customer's id.")
    issue_date_from = serializers.DateField(required=False, help_text="Issued on or after this date.")
    issue_date_to = serializers.DateField(required=False, help_text="Issued on or before this date.")
    due_date_from = serializers.DateField(required=False, help_text="Due on or after this date.")
    due_date_to = serializers.DateField(required=False, help_text="Due on or before this date.")


# --- Payments --------------------------------------------------------------------------------------


class BankAccountSerializer(serializers.ModelSerializer[BankAccount]):
    masked_number = serializers.CharField(read_only=True, help_text="The last four digits only, e.g. ••••1234.")

    class Meta:
        model = BankAccount
        fields = ["id", "account_type", "masked_number", "status"]
        read_only_fields = fields


class AllocationSerializer(serializers.ModelSerializer[Allocation]):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = Allocation
        fields = ["invoice", "invoice_number", "amount_cents"]
        read_only_fields = fields


class PaymentEventSerializer(serializers.ModelSerializer[PaymentEvent]):
    from_status = serializers.SerializerMethodField(help_text="null for the payment's first status.")

    class Meta:
        model = PaymentEvent
        fields = ["from_status", "to_status", "note", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=PaymentStatus.choices, allow_null=True))
    def get_from_status(self, event: PaymentEvent) -> str | None:
        return event.from_status or None


class PaymentAchEntrySerializer(serializers.ModelSerializer[AchEntry]):
    class Meta:
        model = AchEntry
        fields = ["file", "batch_number", "sec_code", "trace_number"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    bank_account = BankAccountSerializer(read_only=True, allow_null=True, help_text="For ACH payments.")
    allocations = AllocationSerializer(many=True, read_only=True, help_text="The part of the payment each invoice got.")
    history = PaymentEventSerializer(
        source="events", many=True, read_only=True, help_text="Every status change, oldest first."
    )
    ach_entry = PaymentAchEntrySerializer(
        read_only=True, allow_null=True, help_text="Its entry in a NACHA file, once sent to the bank."
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "customer",
            "customer_name",
            "method",
            "status",
            "amount_cents",
            "pay_on",
            "reference",
            "is_autopay",
            "bank_account",
            "allocations",
            "history",
            "ach_entry",
            "created_at",
        ]
        read_only_fields = fields


class PaymentFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
    customer = IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="A customer's id.")


# --- ACH -----------------------------------------------------------------------------------------


class AchFileSerializer(serializers.ModelSerializer[AchFile]):
    class Meta:
        model = AchFile
        fields = [
            "id",
            "filename",
            "effective_date",
            "created_at",
            "created_on",
            "file_id_modifier",
            "sha256",
            "size_bytes",
            "entry_count",
            "batch_count",
            "total_debit_cents",
            "total_credit_cents",
        ]
        read_only_fields = fields


class AchEntrySerializer(serializers.ModelSerializer[AchEntry]):
    customer_name = serializers.CharField(source="payment.customer.name", read_only=True)

    class Meta:
        model = AchEntry
        fields = ["payment", "customer_name", "batch_number", "sec_code", "trace_number", "amount_cents"]
        read_only_fields = fields


class AchFileDetailSerializer(AchFileSerializer):
    entries = AchEntrySerializer(many=True, read_only=True)

    class Meta(AchFileSerializer.Meta):
        fields = [*AchFileSerializer.Meta.fields, "entries"]
        read_only_fields = fields


class AchReturnSerializer(serializers.ModelSerializer[AchReturn]):
    payment = serializers.IntegerField(source="entry.payment_id", read_only=True)
    trace_number = serializers.CharField(source="entry.trace_number", read_only=True)
    ach_file = serializers.IntegerField(source="entry.file_id", read_only=True)
    return_file = serializers.CharField(source="inbound.filename", read_only=True, help_text="The bank's file.")

    class Meta:
        model = AchReturn
        fields = [
            "id",
            "code",
            "meaning",
            "account_blocked",
            "payment",
            "trace_number",
            "ach_file",
            "return_file",
            "created_at",
        ]
        read_only_fields = fields
