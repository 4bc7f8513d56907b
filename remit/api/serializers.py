"""What the API reads and writes. Amounts are integer cents (``*_cents``), dates ISO 8601,
quantities and tax rates decimal strings. Bank accounts appear only as ``masked_number``.

Input serializers check each field's type and shape, strictly (``api/fields.py``), so that the
OpenAPI document states every rule a field has; the rules between fields and against what is
stored (a US customer's ZIP code, an unused reference or number, a due date after the issue date)
live in the actions they feed (``customers.rules`` via ``customer_create``,
``invoices.actions.invoice_check``…), which the document names in words.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from remit.ach.models import AchEntry, AchFile, AchReturn
from remit.api.fields import Email, IsoDate, Percent, Quantity, QueryBoolean, QueryInteger, Text, WholeNumber
from remit.customers.models import AccountType, Customer
from remit.customers.rules import COUNTRY_CODE, COUNTRY_RULE, MAX_EMAILS, parse_emails
from remit.invoices.models import TERMS_CHOICES, Invoice, InvoiceLine, InvoiceSend
from remit.invoices.numbering import NUMBER_RULE, NUMBER_SHAPE
from remit.ledger.status import InvoiceStatus
from remit.lib.money import MAX_CENTS
from remit.payments.controls import rules_from, settings_of
from remit.payments.models import (
    Allocation,
    BankAccount,
    Credit,
    CreditApplication,
    OverLimit,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Switch,
    ValidationMethod,
    ValidationStatus,
)
from remit.recurring.models import TERMS_CHOICES as RECURRING_TERMS
from remit.recurring.models import Delivery, Frequency, RecurringInvoice, RecurringLine

MAX_ID = 2**63 - 1
INVOICE_NUMBER = rf"\A{NUMBER_SHAPE}\Z"
OUTSTANDING = ("outstanding", "Outstanding (open, partially paid or overdue)")


def cents(**kwargs: Any) -> WholeNumber:
    return WholeNumber(min_value=0, max_value=MAX_CENTS, **kwargs)


# --- Customers -------------------------------------------------------------------------------------


class PaymentControlsSerializer(serializers.Serializer[Any]):
    accept_ach = serializers.BooleanField(help_text="Whether the customer may pay by ACH now.")
    allow_autopay = serializers.BooleanField(help_text="Whether the customer may use Auto Pay now (never without ACH).")
    max_per_payment_cents = serializers.IntegerField(allow_null=True, help_text="Null: no limit.")
    max_per_month_cents = serializers.IntegerField(
        allow_null=True, help_text="Null: no limit. Counts ACH payments with a Pay On date in the calendar month."
    )
    over_limit = serializers.ChoiceField(
        choices=OverLimit.choices, help_text="What the biller does with a payment above a limit."
    )
    accept_ach_setting = serializers.ChoiceField(
        choices=Switch.choices, help_text="This customer's own ACH switch: inherit (the biller's), on or off."
    )
    allow_autopay_setting = serializers.ChoiceField(
        choices=Switch.choices, help_text="This customer's own Auto Pay switch: inherit (the biller's), on or off."
    )


class PaymentControlsWriteSerializer(serializers.Serializer[Any]):
    """A customer's own switches and limits. Send only what changes; the rest stays."""

    accept_ach = serializers.ChoiceField(
        choices=Switch.choices, required=False, help_text="inherit (the biller's switch), on or off."
    )
    allow_autopay = serializers.ChoiceField(
        choices=Switch.choices, required=False, help_text="inherit (the biller's switch), on or off."
    )
    max_per_payment_cents = WholeNumber(
        min_value=1, max_value=MAX_CENTS, allow_null=True, required=False, help_text="Null: no limit."
    )
    max_per_month_cents = WholeNumber(
        min_value=1, max_value=MAX_CENTS, allow_null=True, required=False, help_text="Null: no limit."
    )
    scheduled = serializers.ChoiceField(
        choices=[("keep", "Keep them"), ("cancel", "Cancel them")],
        required=False,
        default="keep",
        help_text="When this switches ACH or Auto Pay off: whether the customer's scheduled payments that "
        "lose it are kept or cancelled (payments already sent to the bank can't be cancelled).",
    )


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    # Plain strings: the console also takes addresses (non-ASCII host names) that JSON Schema's "email" doesn't.
    billing_emails = serializers.ListField(child=serializers.CharField(), read_only=True)
    account_type = serializers.SerializerMethodField(help_text="Chosen by the customer when they sign up.")
    archived = serializers.BooleanField(source="is_archived", read_only=True)
    payment_controls = serializers.SerializerMethodField(
        help_text="The biller's switches and this customer's overrides and limits, combined (set in the console)."
    )

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
            "payment_controls",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=AccountType.choices, allow_null=True))
    def get_account_type(self, customer: Customer) -> str | None:
        return customer.account_type or None

    @extend_schema_field(PaymentControlsSerializer)
    def get_payment_controls(self, customer: Customer) -> dict[str, Any]:
        # The biller's switches are read once per response (the context is the list's); the
        # customer's own row comes with it (select_related) in the viewset's querysets.
        switches = self.context.setdefault("payment_switches", {})
        if customer.biller_id not in switches:
            switches[customer.biller_id] = settings_of(customer.biller_id)
        try:
            own = customer.payment_settings
        except ObjectDoesNotExist:
            own = None
        rules = rules_from("", switches[customer.biller_id], own)
        return {
            "accept_ach": rules.accept_ach,
            "allow_autopay": rules.allow_autopay,
            "max_per_payment_cents": rules.max_per_payment_cents,
            "max_per_month_cents": rules.max_per_month_cents,
            "over_limit": rules.over_limit,
            "accept_ach_setting": own.accept_ach if own else Switch.INHERIT,
            "allow_autopay_setting": own.allow_autopay if own else Switch.INHERIT,
        }


def _optional_text(max_length: int) -> Text:
    return Text(max_length=max_length, required=False, allow_blank=True)


class CustomerWriteSerializer(serializers.Serializer[Any]):
    name = Text(filled=True, max_length=200)
    billing_emails = serializers.ListField(
        child=Email(),
        min_length=1,
        max_length=MAX_EMAILS,
        help_text=f"Where invoices are emailed: 1 to {MAX_EMAILS} addresses.",
        error_messages={
            "min_length": "Enter at least one billing email address.",
            "max_length": f"Enter at most {MAX_EMAILS} billing email addresses.",
        },
    )
    reference = Text(max_length=64, required=False, allow_blank=True, help_text="Your own id for the customer; unique.")
    address_line1 = _optional_text(200)
    address_line2 = _optional_text(200)
    city = _optional_text(100)
    state = _optional_text(100)
    postal_code = _optional_text(20)
    country = Text(
        pattern=COUNTRY_CODE,
        message=COUNTRY_RULE,
        required=False,
        help_text="Two letters (default US). A US customer's postal_code, if any, is a ZIP code: 12345 or 12345-6789.",
    )

    def validate_billing_emails(self, value: list[str]) -> list[str]:
        return parse_emails(value)[0]  # each is an address already; this drops repeats, as the console does


class CustomerFilterSerializer(serializers.Serializer[Any]):
    archived = QueryBoolean(
        required=False, default=False, help_text="true: only archived customers; false (default): only active ones."
    )
    q = Text(required=False, allow_blank=True, max_length=200, help_text="Words to find in name, reference or emails.")


# --- Invoices --------------------------------------------------------------------------------------


class InvoiceLineSerializer(serializers.ModelSerializer[InvoiceLine]):
    class Meta:
        model = InvoiceLine
        fields = ["position", "description", "quantity", "unit_price_cents", "amount_cents"]
        read_only_fields = fields


class InvoiceSendSerializer(serializers.ModelSerializer[InvoiceSend]):
    recipients = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = InvoiceSend
        fields = ["id", "invoice", "recipients", "sent_at"]
        read_only_fields = fields


def _decimal(model: type[Invoice] | type[InvoiceLine], name: str) -> serializers.DecimalField:
    field = model._meta.get_field(name)
    return serializers.DecimalField(max_digits=field.max_digits, decimal_places=field.decimal_places)  # type: ignore[union-attr]


# How ModelSerializer writes these fields, for the invoice's hand-written representation.
_DATE, _DATETIME = serializers.DateField(), serializers.DateTimeField()
_TAX_RATE, _QUANTITY = _decimal(Invoice, "tax_rate"), _decimal(InvoiceLine, "quantity")


def _moment(value: Any) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


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
            "credited_cents",
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

    def to_representation(self, invoice: Invoice) -> dict[str, Any]:
        """The fields above, written out: building them field by field (DRF copies every declared
        field for each serializer) cost more than everything else a ``POST /api/v1/invoices`` does
        in Python. ``test_serializers`` checks that this gives what the fields give."""
        return {
            "id": invoice.pk,
            "number": invoice.number,
            "customer": invoice.customer_id,
            "customer_name": invoice.customer.name,
            "status": str(invoice.status),
            "issue_date": _DATE.to_representation(invoice.issue_date),
            "due_date": _DATE.to_representation(invoice.due_date),
            "terms": invoice.terms,
            "tax_rate": _TAX_RATE.to_representation(invoice.tax_rate),
            "memo": invoice.memo,
            "subtotal_cents": invoice.subtotal_cents,
            "tax_cents": invoice.tax_cents,
            "total_cents": invoice.total_cents,
            "paid_cents": invoice.paid_cents,
            "pending_cents": invoice.pending_cents,
            "credited_cents": invoice.credited_cents,
            "balance_cents": invoice.balance_cents,
            "available_cents": invoice.available_cents,
            "voided_at": _moment(invoice.voided_at),
            "void_reason": invoice.void_reason,
            "lines": [
                {
                    "position": line.position,
                    "description": line.description,
                    "quantity": _QUANTITY.to_representation(line.quantity),
                    "unit_price_cents": line.unit_price_cents,
                    "amount_cents": line.amount_cents,
                }
                for line in invoice.lines.all()
            ],
            "sends": [
                {"id": one.pk, "invoice": one.invoice_id, "recipients": one.recipients, "sent_at": _moment(one.sent_at)}
                for one in invoice.sends.all()
            ],
            "created_at": _moment(invoice.created_at),
        }


class LineWriteSerializer(serializers.Serializer[Any]):
    description = Text(filled=True, max_length=500)
    quantity = Quantity(required=False, default=Decimal(1))
    unit_price_cents = cents()


class InvoiceCreateSerializer(serializers.Serializer[Any]):
    customer = WholeNumber(min_value=1, max_value=MAX_ID, help_text="The customer's id (not archived).")
    number = Text(
        pattern=INVOICE_NUMBER,
        message=NUMBER_RULE,
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="Empty or omitted: the next number in sequence. Unique.",
    )
    issue_date = IsoDate(required=False, help_text="Default: today.")
    terms = serializers.ChoiceField(
        choices=TERMS_CHOICES, required=False, help_text="Default: the biller's default terms."
    )
    due_date = IsoDate(
        required=False,
        allow_null=True,
        help_text="Required with terms “custom”, ignored otherwise; not before the issue date.",
    )
    tax_rate = Percent(required=False, default=Decimal(0), help_text='Percent, e.g. "8.25".')
    memo = Text(max_length=2000, required=False, allow_blank=True)
    lines = serializers.ListField(
        child=LineWriteSerializer(),
        min_length=1,
        max_length=200,
        error_messages={"min_length": "Add at least one line.", "max_length": "An invoice has at most 200 lines."},
    )


class InvoiceVoidSerializer(serializers.Serializer[Any]):
    reason = Text(filled=True, max_length=500, help_text="The customer sees it in the email that tells them.")


class InvoiceFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=[OUTSTANDING, *InvoiceStatus.choices], required=False)
    customer = QueryInteger(min_value=1, max_value=MAX_ID, required=False, help_text="A customer's id.")
    issue_date_from = IsoDate(required=False, help_text="Issued on or after this date.")
    issue_date_to = IsoDate(required=False, help_text="Issued on or before this date.")
    due_date_from = IsoDate(required=False, help_text="Due on or after this date.")
    due_date_to = IsoDate(required=False, help_text="Due on or before this date.")


# --- Payments --------------------------------------------------------------------------------------


class AccountValidationSerializer(serializers.Serializer[Any]):
    method = serializers.ChoiceField(choices=ValidationMethod.choices)
    status = serializers.ChoiceField(choices=ValidationStatus.choices)


class BankAccountSerializer(serializers.ModelSerializer[BankAccount]):
    masked_number = serializers.CharField(read_only=True, help_text="The last four digits only, e.g. ••••1234.")
    debits_from = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The first date a debit from this account may go, once it is validated (NACHA's first-use "
        "validation); null while its validation is pending, failed or locked.",
    )

    validation = serializers.SerializerMethodField(
        help_text="How the account is validated before its first debit (micro_entries, prenote or service: "
        "the biller's statement that the bank or another service validated it) and where that stands "
        "(pending, validated, failed, locked after too many wrong amounts); null for an account added "
        "before validation existed."
    )

    class Meta:
        model = BankAccount
        fields = ["id", "account_type", "masked_number", "status", "debits_from", "validation"]
        read_only_fields = fields

    @extend_schema_field(AccountValidationSerializer(allow_null=True))
    def get_validation(self, account: BankAccount) -> dict[str, Any] | None:
        try:
            validation = account.validation
        except ObjectDoesNotExist:
            return None
        return {"method": validation.method, "status": validation.status}


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
    retry_of: serializers.PrimaryKeyRelatedField[Payment] = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="For a retry of a payment returned for insufficient or uncollected funds (R01/R09): "
        "the id of the original payment of the chain.",
    )
    retries: serializers.PrimaryKeyRelatedField[Payment] = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text="The ids of the retries of this payment, oldest first (at most two; empty for a retry).",
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
            "retry_of",
            "retries",
            "created_at",
        ]
        read_only_fields = fields


class PaymentFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
    customer = QueryInteger(min_value=1, max_value=MAX_ID, required=False, help_text="A customer's id.")


# --- Credits -------------------------------------------------------------------------------------


class CreditApplicationSerializer(serializers.ModelSerializer[CreditApplication]):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = CreditApplication
        fields = ["id", "invoice", "invoice_number", "amount_cents", "applied_by", "applied_at"]
        read_only_fields = fields


class CreditSerializer(serializers.ModelSerializer[Credit]):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    unapplied_cents = serializers.IntegerField(
        read_only=True, help_text="What is left of it: the customer's account credit, used before debiting."
    )
    applications = CreditApplicationSerializer(
        many=True, read_only=True, help_text="The invoices it was applied to, oldest first."
    )

    class Meta:
        model = Credit
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "amount_cents",
            "applied_cents",
            "unapplied_cents",
            "reason",
            "source",
            "payment",
            "applications",
            "created_at",
        ]
        read_only_fields = fields


class CreditCreateSerializer(serializers.Serializer[Any]):
    customer = WholeNumber(min_value=1, max_value=MAX_ID, help_text="The customer's id.")
    amount_cents = WholeNumber(min_value=1, max_value=MAX_CENTS, help_text="More than 0.")
    reason = Text(filled=True, max_length=500, help_text="The customer sees it on the credit note.")
    invoice = WholeNumber(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="An invoice of that customer to apply it to at once (not above what is left to pay on it). "
        "Omitted: unapplied account credit.",
    )


class CreditFilterSerializer(serializers.Serializer[Any]):
    customer = QueryInteger(min_value=1, max_value=MAX_ID, required=False, help_text="A customer's id.")


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


# --- Recurring invoices ----------------------------------------------------------------------------


class RecurringLineSerializer(serializers.ModelSerializer[RecurringLine]):
    class Meta:
        model = RecurringLine
        fields = ["position", "description", "quantity", "unit_price_cents"]
        read_only_fields = fields


class RecurringInvoiceSerializer(serializers.ModelSerializer[RecurringInvoice]):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    next_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="The next date an invoice is due to be issued; null: no more."
    )
    total_cents = serializers.SerializerMethodField(help_text="What each invoice comes to.")
    lines = RecurringLineSerializer(many=True, read_only=True)

    class Meta:
        model = RecurringInvoice
        fields = [
            "id",
            "customer",
            "customer_name",
            "frequency",
            "start_on",
            "end_on",
            "count",
            "terms",
            "tax_rate",
            "memo",
            "delivery",
            "status",
            "next_on",
            "total_cents",
            "lines",
            "created_at",
        ]
        read_only_fields = fields

    def get_total_cents(self, template: RecurringInvoice) -> int:
        return template.totals.total_cents


class RecurringWriteSerializer(serializers.Serializer[Any]):
    customer = WholeNumber(min_value=1, max_value=MAX_ID, help_text="The customer's id (not archived).")
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    start_on = IsoDate(help_text="The first invoice's date: today (in the biller's time zone) or later.")
    end_on = IsoDate(
        required=False, allow_null=True, help_text="The last date (included); not with `count`. Null: none."
    )
    count = WholeNumber(
        min_value=1, max_value=1000, required=False, allow_null=True, help_text="How many dates; not with `end_on`."
    )
    terms = serializers.ChoiceField(
        choices=RECURRING_TERMS, required=False, help_text="Default: the biller's default terms."
    )
    tax_rate = Percent(required=False, default=Decimal(0), help_text='Percent, e.g. "8.25".')
    memo = Text(max_length=2000, required=False, allow_blank=True)
    delivery = serializers.ChoiceField(
        choices=Delivery.choices,
        required=False,
        default=Delivery.SEND,
        help_text="`send`: issued and emailed on its date; `review`: held until sent from the console.",
    )
    lines = serializers.ListField(
        child=LineWriteSerializer(),
        min_length=1,
        max_length=200,
        error_messages={"min_length": "Add at least one line.", "max_length": "At most 200 lines."},
    )


class RecurringLinesSerializer(serializers.Serializer[Any]):
    """A change's lines, checked whole: the change is partial, its lines are not."""

    lines = serializers.ListField(
        child=LineWriteSerializer(),
        min_length=1,
        max_length=200,
        error_messages={"min_length": "Add at least one line.", "max_length": "At most 200 lines."},
    )


class RecurringSkipSerializer(serializers.Serializer[Any]):
    scheduled_on = IsoDate(help_text="An upcoming date of the schedule, or one held for review.")
    reason = Text(filled=True, max_length=500)


class RecurringReasonSerializer(serializers.Serializer[Any]):
    reason = Text(max_length=500, required=False, allow_blank=True, default="")


# --- Statements of account -------------------------------------------------------------------------


class StatementQuerySerializer(serializers.Serializer[Any]):
    """``from`` and ``to`` are Python keywords, so the fields are named here."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "from": IsoDate(
                required=False, help_text="The first day of the period (YYYY-MM-DD); by default 29 days before `to`."
            ),
            "to": IsoDate(
                required=False,
                help_text="The last day of the period (YYYY-MM-DD), less than five years after `from`; by default "
                "today in the biller's time zone.",
            ),
        }


class StatementLineSerializer(serializers.Serializer[Any]):
    date = serializers.DateField(source="entry.on")
    kind = serializers.ChoiceField(
        source="entry.kind",
        choices=["invoice", "payment", "return", "credit", "void"],
        help_text="invoice and return add to the balance; payment, credit and void take from it.",
    )
    reference = serializers.CharField(source="entry.reference")
    description = serializers.CharField(source="entry.description")
    amount_cents = serializers.IntegerField(source="entry.signed_cents", help_text="Signed: what the line adds.")
    balance_cents = serializers.IntegerField(help_text="The running balance after this line.")


class StatementAgingSerializer(serializers.Serializer[Any]):
    current_cents = serializers.IntegerField(source="current", help_text="Not yet past due.")
    days_1_30_cents = serializers.IntegerField(source="days_1_30")
    days_31_60_cents = serializers.IntegerField(source="days_31_60")
    days_61_90_cents = serializers.IntegerField(source="days_61_90")
    over_90_cents = serializers.IntegerField(source="over_90")
    unapplied_cents = serializers.IntegerField(help_text="Account credit applied to no invoice (0 or less).")
    total_cents = serializers.IntegerField(help_text="The buckets plus unapplied_cents: the closing balance.")


class StatementScheduledSerializer(serializers.Serializer[Any]):
    pay_on = serializers.DateField()
    amount_cents = serializers.IntegerField()
    reference = serializers.CharField()


class StatementTotalsSerializer(serializers.Serializer[Any]):
    invoice_cents = serializers.IntegerField(source="invoice")
    payment_cents = serializers.IntegerField(source="payment")
    return_cents = serializers.IntegerField(source="return")
    credit_cents = serializers.IntegerField(source="credit")
    void_cents = serializers.IntegerField(source="void")


class StatementSerializer(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "from": serializers.DateField(source="start"),
            "to": serializers.DateField(source="end"),
            "opening_cents": serializers.IntegerField(help_text="The balance before `from`."),
            "closing_cents": serializers.IntegerField(help_text="The balance at the end of `to`."),
            "totals": StatementTotalsSerializer(help_text="The period's lines summed by kind (unsigned)."),
            "lines": StatementLineSerializer(many=True),
            "aging": StatementAgingSerializer(help_text="What is owed at the end of `to`, by days past due."),
            "scheduled": StatementScheduledSerializer(
                many=True, help_text="Payments on their way now (scheduled or sent): not in the balance."
            ),
        }
