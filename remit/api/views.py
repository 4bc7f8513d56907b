"""The API's endpoints. Each view parses, finds the object within the key's biller, calls one
action and answers; the rules are the actions' (the same ones the console calls).

Every read starts from ``ScopedViewSet.get_queryset``, which filters by the key's biller: an id
of another biller's object is a 404, in lists, lookups and writes alike.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Model, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer
from rest_framework.utils.encoders import JSONEncoder

from remit.ach.models import AchEntry, AchFile, AchReturn
from remit.api import serializers as s
from remit.api.authentication import biller_of, key_id
from remit.api.idempotency import idempotent
from remit.api.pagination import NewestFirst
from remit.billers.models import Biller
from remit.customers.actions import customer_archive, customer_create, customer_restore, customer_update
from remit.customers.models import Customer
from remit.customers.rules import CustomerFields
from remit.customers.selectors import customers_of
from remit.invoices.actions import InvoiceDraft, invoice_create, invoice_send, invoice_void
from remit.invoices.models import Invoice
from remit.invoices.pdf import invoice_pdf_bytes
from remit.invoices.totals import Line
from remit.ledger.amounts import status_filter
from remit.payments.controls import customer_payment_settings_save
from remit.payments.credit_note import credit_note_pdf
from remit.payments.credits import CreditError, credit_issue
from remit.payments.models import Credit, CreditApplication, CustomerPaymentSettings, Payment
from remit.payments.receipt_pdf import receipt_pdf
from remit.payments.receipts import receipt_of_biller
from remit.recurring.actions import (
    TemplateFields,
    recurring_create,
    recurring_delete,
    recurring_pause,
    recurring_resume,
    recurring_skip,
    recurring_update,
)
from remit.recurring.models import RecurringInvoice
from remit.recurring.selectors import templates_of
from remit.statements.actions import statement_filename
from remit.statements.core import Statement, days_before
from remit.statements.gather import statement_for
from remit.statements.pdf import statement_pdf


def valid(serializer_class: type[BaseSerializer[Any]], request: Request, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def single_query_values(request: Request, names: frozenset[str]) -> dict[str, str]:
    """The query string as {name: value}, refusing (400) a parameter the endpoint doesn't take (a
    typo would otherwise list everything) and one given twice (which value counts?)."""
    errors: dict[str, list[str]] = {}
    takes = f"This endpoint takes {', '.join(sorted(names))}." if names else "This endpoint takes no query parameters."
    for name, values in request.query_params.lists():
        if name not in names:
            errors[name] = [f"Unknown parameter. {takes}"]
        elif len(values) > 1:
            errors[name] = ["Give this parameter once."]
    if errors:
        raise ValidationError(errors)
    return {name: values[0] for name, values in request.query_params.lists()}


class ScopedViewSet(viewsets.GenericViewSet[Any]):
    """Lists and lookups within the key's biller. ``queryset`` is only the schema's hint of the model."""

    pagination_class = NewestFirst
    lookup_value_regex = r"[0-9]{1,18}"  # ids only; a longer number can't be one of ours
    filter_serializer_class: type[Serializer[Any]] | None = None
    query: dict[str, str]  # the query string, once checked (``initial``)

    def scoped(self, biller: Biller) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.scoped(biller_of(self.request))

    def filtered(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        return queryset

    def query_parameter_names(self) -> frozenset[str]:
        """What the document lists for this operation: a list's filters and pagination; else none."""
        if self.action != "list":
            return frozenset()
        filters = self.filter_serializer_class().fields if self.filter_serializer_class is not None else {}
        return NewestFirst.query_parameters | frozenset(filters)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # the key and the rate limit first: 401 and 429 before 400
        if self.action not in {None, "metadata"}:  # not a method it doesn't take (405), nor OPTIONS
            self.query = single_query_values(request, self.query_parameter_names())

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        if self.filter_serializer_class is not None:
            filters = self.filter_serializer_class(data=self.query)
            filters.is_valid(raise_exception=True)
            queryset = self.filtered(queryset, dict(filters.validated_data))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def fresh(self, instance: Model) -> Any:
        """The object again, read as the endpoint reads it (with its lines, allocations…)."""
        return self.get_queryset().get(pk=instance.pk)


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``. The PDF itself is sent as it is; an error
    on that endpoint is still a problem document (JSON)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data, cls=JSONEncoder).encode()


# --- Customers -------------------------------------------------------------------------------------

STATEMENT_RULES = (
    "Opening balance, every invoice, settled payment, returned payment, credit and void of the period with "
    "the running balance, the closing balance and the aging on `to` — what the customer sees in the portal's "
    "Statements. An invoice counts on its issue date, a payment on the day it settled (payments still on their "
    "way are listed under `scheduled`, not in the balance), a return on the day it came back. A `to` before "
    "`from`, or a period of five years or more, is refused with a 400 naming `to`. Without `from` and `to`: the last "
    "30 days, as in the portal."
)

CUSTOMER_RULES = (
    "Besides each field's own rules, these are refused with a 400 naming the field: a `postal_code` that "
    "is not a ZIP code (12345 or 12345-6789) for a customer in the US (the default `country`); a `reference` "
    "another customer has."
)


@extend_schema_view(
    list=extend_schema(summary="List customers", parameters=[s.CustomerFilterSerializer]),
    retrieve=extend_schema(summary="Get a customer"),
)
class CustomerViewSet(ScopedViewSet):
    queryset = Customer.objects.none()
    serializer_class = s.CustomerSerializer
    filter_serializer_class = s.CustomerFilterSerializer

    def scoped(self, biller: Biller) -> QuerySet[Customer]:
        return Customer.objects.filter(biller=biller).select_related("payment_settings")

    def filtered(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        customers = customers_of(biller_of(self.request), search=filters.get("q", ""), archived=filters["archived"])
        return customers.select_related("payment_settings")

    @extend_schema(
        summary="Create a customer",
        description=CUSTOMER_RULES,
        request=s.CustomerWriteSerializer,
        responses={201: s.CustomerSerializer},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        fields = CustomerFields(**valid(s.CustomerWriteSerializer, request))
        customer = customer_create(biller=biller_of(request), actor=None, fields=fields, api_key_id=key_id(request))
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a customer",
        description=f"Send only the fields to change. {CUSTOMER_RULES}",
        request=s.CustomerWriteSerializer,
        responses={200: s.CustomerSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        changes = valid(s.CustomerWriteSerializer, request, partial=True)
        current = {name: getattr(customer, name) for name in CustomerFields.__dataclass_fields__}
        fields = CustomerFields(**{**current, **changes})
        customer = customer_update(customer=customer, actor=None, fields=fields, api_key_id=key_id(request))
        return Response(self.get_serializer(customer).data)

    @extend_schema(
        summary="Archive a customer",
        description="Archived customers leave the list and get no new invoices; their invoices stay. "
        "Archiving an archived customer changes nothing.",
        request=None,
        responses={200: s.CustomerSerializer},
        operation_id="customers_archive",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def archive(self, request: Request, pk: str) -> Response:
        customer = customer_archive(customer=self.get_object(), actor=None, api_key_id=key_id(request))
        return Response(self.get_serializer(customer).data)

    @extend_schema(
        summary="Change a customer's payment switches and limits",
        description="The customer's own ACH and Auto Pay switches (inherit the biller's, on, off) and "
        "limits per payment and per calendar month (null: none). Send only what changes. Switching ACH "
        "or Auto Pay off keeps the customer's scheduled payments unless `scheduled` is `cancel`; a "
        "customer whose Auto Pay is turned off is emailed. Recorded in the history with this API key.",
        request=s.PaymentControlsWriteSerializer,
        responses={200: s.CustomerSerializer},
        operation_id="customers_payment_controls",
    )
    @action(detail=True, methods=["patch"], url_path="payment-controls")
    def payment_controls(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        changes = valid(s.PaymentControlsWriteSerializer, request)
        own = CustomerPaymentSettings.objects.filter(customer=customer).first() or CustomerPaymentSettings()
        customer_payment_settings_save(
            customer=customer,
            actor=None,
            api_key_id=key_id(request),
            accept_ach=changes.get("accept_ach", own.accept_ach),
            allow_autopay=changes.get("allow_autopay", own.allow_autopay),
            max_per_payment_cents=changes.get("max_per_payment_cents", own.max_per_payment_cents),
            max_per_month_cents=changes.get("max_per_month_cents", own.max_per_month_cents),
            scheduled=changes["scheduled"],
        )
        return Response(self.get_serializer(self.fresh(customer)).data)

    @extend_schema(
        summary="A customer's statement of account",
        description=STATEMENT_RULES,
        parameters=[s.StatementQuerySerializer],
        responses={200: s.StatementSerializer},
        operation_id="customers_statement",
    )
    @action(detail=True, methods=["get"])
    def statement(self, request: Request, pk: str) -> Response:
        _, statement = self._statement()
        return Response(s.StatementSerializer(statement).data)

    @extend_schema(
        summary="A customer's statement of account as a PDF",
        description=STATEMENT_RULES,
        parameters=[s.StatementQuerySerializer],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        operation_id="customers_statement_pdf",
    )
    @action(detail=True, methods=["get"], url_path="statement.pdf", renderer_classes=[JSONRenderer, PdfRenderer])
    def statement_pdf(self, request: Request, pk: str) -> HttpResponse:
        customer, statement = self._statement()
        response = HttpResponse(
            statement_pdf(biller=customer.biller, customer=customer, statement=statement),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = f'inline; filename="{statement_filename(customer, statement)}"'
        return response

    def _statement(self) -> tuple[Customer, Statement]:
        customer = self.get_object()
        period = s.StatementQuerySerializer(data=self.query)
        period.is_valid(raise_exception=True)
        end = period.validated_data.get("to") or customer.biller.today()
        start = period.validated_data.get("from") or days_before(end, 29)
        return customer, statement_for(customer, start=start, end=end)

    def query_parameter_names(self) -> frozenset[str]:
        if self.action in {"statement", "statement_pdf"}:
            return frozenset({"from", "to"})
        return super().query_parameter_names()

    @extend_schema(
        summary="Restore an archived customer",
        request=None,
        responses={200: s.CustomerSerializer},
        operation_id="customers_restore",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def restore(self, request: Request, pk: str) -> Response:
        customer = customer_restore(customer=self.get_object(), actor=None, api_key_id=key_id(request))
        return Response(self.get_serializer(customer).data)


# --- Invoices --------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List invoices", parameters=[s.InvoiceFilterSerializer]),
    retrieve=extend_schema(summary="Get an invoice"),
)
class InvoiceViewSet(ScopedViewSet):
    queryset = Invoice.objects.none()
    serializer_class = s.InvoiceSerializer
    filter_serializer_class = s.InvoiceFilterSerializer

    def scoped(self, biller: Biller) -> QuerySet[Invoice]:
        return Invoice.objects.filter(biller=biller).select_related("customer").prefetch_related("lines", "sends")

    def filtered(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if "status" in filters:
            queryset = queryset.filter(status_filter(filters["status"], timezone.localdate()))
        if "customer" in filters:
            queryset = queryset.filter(customer_id=filters["customer"])
        for name, lookup in [("from", "gte"), ("to", "lte")]:
            for field in ("issue_date", "due_date"):
                if f"{field}_{name}" in filters:
                    queryset = queryset.filter(**{f"{field}__{lookup}": filters[f"{field}_{name}"]})
        return queryset

    @extend_schema(
        summary="Create an invoice",
        description="Numbered in the biller's sequence unless `number` is given; totals are computed from "
        "the lines (each quantity × unit price, rounded half-up; tax once on the subtotal). Besides each field's "
        "own rules, these are refused with a 400 naming the field: a `customer` that is not yours or is "
        "archived; a `number` already used; terms `custom` without a `due_date`, a due date before the issue "
        "date, or terms that would put it after the year 9999; a total above 99999999999 cents.",
        request=s.InvoiceCreateSerializer,
        responses={201: s.InvoiceSerializer},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = valid(s.InvoiceCreateSerializer, request)
        biller = biller_of(request)
        try:
            customer = Customer.objects.get(biller=biller, pk=data["customer"])
        except Customer.DoesNotExist:
            raise ValidationError({"customer": ["There is no customer with this id."]}) from None
        draft = InvoiceDraft(
            customer=customer,
            issue_date=data.get("issue_date") or timezone.localdate(),
            lines=[Line(line["description"], line["quantity"], line["unit_price_cents"]) for line in data["lines"]],
            terms=data.get("terms") or biller.default_terms,
            due_date=data.get("due_date"),
            tax_rate=data["tax_rate"],
            memo=data.get("memo", ""),
            number=data.get("number", "").strip(),
        )
        # As stored, with its lines (``invoice_create`` keeps them): nothing to read back.
        invoice = invoice_create(biller=biller, actor=None, draft=draft, api_key_id=key_id(request))
        return Response(self.get_serializer(invoice).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Email an invoice",
        description="Emails the invoice, with its PDF and the Pay Invoice Electronically link, to every billing "
        "address of the customer. Sending again sends a reminder.",
        request=None,
        responses={200: s.InvoiceSendSerializer},
        operation_id="invoices_send",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def send(self, request: Request, pk: str) -> Response:
        sent = invoice_send(invoice=self.get_object(), actor=None, api_key_id=key_id(request))
        return Response(s.InvoiceSendSerializer(sent).data)

    @extend_schema(
        summary="Void an invoice",
        description="Cancels payments scheduled for it that have not gone to the bank and emails the customer "
        "the reason. Refused (409) when anything was paid or a payment is on its way.",
        request=s.InvoiceVoidSerializer,
        responses={200: s.InvoiceSerializer},
        operation_id="invoices_void",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def void(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        reason = valid(s.InvoiceVoidSerializer, request)["reason"]
        invoice = invoice_void(invoice=invoice, actor=None, reason=reason, api_key_id=key_id(request))
        return Response(self.get_serializer(self.fresh(invoice)).data)

    @extend_schema(
        summary="The invoice as a PDF",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        operation_id="invoices_pdf",
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        invoice = self.get_object()
        response = HttpResponse(invoice_pdf_bytes(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        return response


# --- Credits ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List credits", parameters=[s.CreditFilterSerializer]),
    retrieve=extend_schema(summary="Get a credit"),
)
class CreditViewSet(ScopedViewSet):
    queryset = Credit.objects.none()
    serializer_class = s.CreditSerializer
    filter_serializer_class = s.CreditFilterSerializer

    def scoped(self, biller: Biller) -> QuerySet[Credit]:
        applications = CreditApplication.objects.select_related("invoice").order_by("applied_at", "pk")
        return (
            Credit.objects.filter(biller=biller)
            .select_related("customer")
            .prefetch_related(Prefetch("applications", queryset=applications))
        )

    def filtered(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if "customer" in filters:
            queryset = queryset.filter(customer_id=filters["customer"])
        return queryset

    @extend_schema(
        summary="Issue a credit",
        description="Money you owe the customer back, numbered CN-000001… in your sequence, with a PDF credit note. "
        "With `invoice`, it is applied to that invoice at once; without, it is unapplied account credit, which "
        "Auto Pay and the customer's portal payments use before debiting. Besides each field's own rules, these "
        "are refused with a 400 naming the field: a `customer` or `invoice` that is not yours, an invoice of "
        "another customer or void, an `amount_cents` above what is left to pay on the invoice (not already paid, "
        "scheduled or credited).",
        request=s.CreditCreateSerializer,
        responses={201: s.CreditSerializer},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = valid(s.CreditCreateSerializer, request)
        biller = biller_of(request)
        customer = Customer.objects.filter(biller=biller, pk=data["customer"]).first()
        if customer is None:
            raise ValidationError({"customer": ["There is no customer with this id."]})
        invoice = None
        if data.get("invoice") is not None:
            invoice = Invoice.objects.filter(biller=biller, pk=data["invoice"]).first()
            if invoice is None:
                raise ValidationError({"invoice": ["There is no invoice with this id."]})
        try:
            credit = credit_issue(
                biller=biller,
                customer=customer,
                amount_cents=data["amount_cents"],
                reason=data["reason"],
                invoice=invoice,
                actor=None,
                api_key_id=key_id(request),
            )
        except CreditError as error:  # the action names the console's field; the API's is amount_cents
            renamed = {("amount_cents" if name == "amount" else name): found for name, found in error.errors.items()}
            raise CreditError(errors=renamed) from None
        return Response(self.get_serializer(self.fresh(credit)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The credit note as a PDF",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        operation_id="credits_pdf",
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        credit = self.get_object()
        response = HttpResponse(credit_note_pdf(credit), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{credit.number}.pdf"'
        return response


# --- Payments and ACH ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List payments", parameters=[s.PaymentFilterSerializer]),
    retrieve=extend_schema(summary="Get a payment"),
)
class PaymentViewSet(ScopedViewSet):
    queryset = Payment.objects.none()
    serializer_class = s.PaymentSerializer
    filter_serializer_class = s.PaymentFilterSerializer

    def scoped(self, biller: Biller) -> QuerySet[Payment]:
        return (
            Payment.objects.filter(biller=biller)
            .select_related("customer", "bank_account__validation", "ach_entry")
            .prefetch_related("allocations__invoice", "events", Prefetch("retries", Payment.objects.order_by("pk")))
        )

    def filtered(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if "status" in filters:
            queryset = queryset.filter(status=filters["status"])
        if "customer" in filters:
            queryset = queryset.filter(customer_id=filters["customer"])
        return queryset

    @extend_schema(
        summary="The payment's receipt as a PDF",
        description="Issued when the payment settled (never when it was only scheduled) and emailed to the payer. "
        "A receipt withdrawn by a later return is stamped WITHDRAWN. 404 while the payment has no receipt.",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        operation_id="payments_receipt",
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def receipt(self, request: Request, pk: str) -> HttpResponse:
        payment = self.get_object()
        receipt = receipt_of_biller(payment.biller, payment.pk)
        if receipt is None:
            raise NotFound("This payment has no receipt yet: it is issued when the payment settles.")
        response = HttpResponse(receipt_pdf(receipt, viewer=None), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{receipt.filename}"'
        return response


@extend_schema_view(
    list=extend_schema(summary="List ACH files", description="The NACHA files Remit wrote, newest first."),
    retrieve=extend_schema(summary="Get an ACH file", description="With every entry (one per payment)."),
)
class AchFileViewSet(ScopedViewSet):
    queryset = AchFile.objects.none()
    serializer_class = s.AchFileSerializer

    def scoped(self, biller: Biller) -> QuerySet[AchFile]:
        files = AchFile.objects.filter(biller=biller)
        if self.action == "retrieve":
            entries = AchEntry.objects.select_related("payment__customer").order_by("batch_number", "trace_number")
            files = files.prefetch_related(Prefetch("entries", queryset=entries))
        return files

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return s.AchFileDetailSerializer if self.action == "retrieve" else s.AchFileSerializer


@extend_schema_view(
    list=extend_schema(summary="List ACH returns", description="Payments the bank returned, newest first."),
    retrieve=extend_schema(summary="Get an ACH return"),
)
class AchReturnViewSet(ScopedViewSet):
    queryset = AchReturn.objects.none()
    serializer_class = s.AchReturnSerializer

    def scoped(self, biller: Biller) -> QuerySet[AchReturn]:
        return AchReturn.objects.filter(entry__biller=biller).select_related("entry", "inbound")


# --- Documentation -----------------------------------------------------------------------------------


def docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI, served from drf-spectacular-sidecar's files (no CDN), started by a script file."""
    return render(request, "api/docs.html")


# --- Recurring invoices ----------------------------------------------------------------------------

RECURRING_RULES = (
    "Besides each field's own rules, these are refused with a 400 naming the field: a `customer` that is not "
    "yours or is archived; a `start_on` before today in the biller's time zone; an `end_on` before `start_on`, "
    "or both `end_on` and `count`, or an `end_on` that makes more than 1,000 invoices; a line with a total too "
    "large."
)


@extend_schema_view(
    list=extend_schema(summary="List recurring invoices"),
    retrieve=extend_schema(summary="Get a recurring invoice"),
)
class RecurringInvoiceViewSet(ScopedViewSet):
    queryset = RecurringInvoice.objects.none()
    serializer_class = s.RecurringInvoiceSerializer

    def scoped(self, biller: Biller) -> QuerySet[RecurringInvoice]:
        return templates_of(biller).order_by("-pk")

    @extend_schema(
        summary="Create a recurring invoice",
        description="Issues an invoice on `start_on` and then every week, month, quarter or year (counted from "
        "`start_on`: from the 31st, the last day of shorter months), until `end_on`, after `count` invoices, or "
        "without end (at most 1,000). Each is numbered, emailed and paid by Auto Pay like any invoice. "
        f"{RECURRING_RULES}",
        request=s.RecurringWriteSerializer,
        responses={201: s.RecurringInvoiceSerializer},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = valid(s.RecurringWriteSerializer, request)
        biller = biller_of(request)
        try:
            customer = Customer.objects.get(biller=biller, pk=data["customer"])
        except Customer.DoesNotExist:
            raise ValidationError({"customer": ["There is no customer with this id."]}) from None
        fields = _template_fields(customer, data, terms=biller.default_terms)
        template = recurring_create(biller=biller, actor=None, fields=fields, api_key_id=key_id(request))
        return Response(self.get_serializer(self.fresh(template)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a recurring invoice",
        description="Send only the fields to change; the invoices not yet issued follow. Once a date was handled, "
        "`start_on` and `frequency` can't change, nor the end move before that date; `customer` never changes. "
        f"{RECURRING_RULES}",
        request=s.RecurringWriteSerializer,
        responses={200: s.RecurringInvoiceSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        template = self.get_object()
        changes = valid(s.RecurringWriteSerializer, request, partial=True)
        if "lines" in changes:  # each line whole, with its defaults
            changes["lines"] = valid(s.RecurringLinesSerializer, request)["lines"]
        if changes.get("customer", template.customer_id) != template.customer_id:
            raise ValidationError({"customer": ["A recurring invoice's customer can't change; create a new one."]})
        current: dict[str, Any] = {
            name: getattr(template, name)
            for name in ("frequency", "start_on", "end_on", "count", "terms", "tax_rate", "memo", "delivery")
        }
        current["lines"] = [
            {"description": line.description, "quantity": line.quantity, "unit_price_cents": line.unit_price_cents}
            for line in template.lines.all()
        ]
        fields = _template_fields(template.customer, {**current, **changes}, terms=template.terms)
        recurring_update(template=template, actor=None, fields=fields, api_key_id=key_id(request))
        return Response(self.get_serializer(self.fresh(template)).data)

    @extend_schema(
        summary="Delete a recurring invoice",
        description="No more invoices are issued; those issued stay, and so does the history.",
        responses={204: None},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        recurring_delete(template=self.get_object(), actor=None, api_key_id=key_id(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Pause a recurring invoice",
        description="Nothing is issued while paused. Refused (409) unless it is active.",
        request=s.RecurringReasonSerializer,
        responses={200: s.RecurringInvoiceSerializer},
        operation_id="recurring_invoices_pause",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def pause(self, request: Request, pk: str) -> Response:
        template = self.get_object()
        reason = valid(s.RecurringReasonSerializer, request)["reason"]
        recurring_pause(template=template, actor=None, reason=reason, api_key_id=key_id(request))
        return Response(self.get_serializer(self.fresh(template)).data)

    @extend_schema(
        summary="Resume a recurring invoice",
        description="Active again from today; the dates that passed while paused are skipped. Refused (409) "
        "unless it is paused.",
        request=s.RecurringReasonSerializer,
        responses={200: s.RecurringInvoiceSerializer},
        operation_id="recurring_invoices_resume",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def resume(self, request: Request, pk: str) -> Response:
        template = self.get_object()
        reason = valid(s.RecurringReasonSerializer, request)["reason"]
        recurring_resume(template=template, actor=None, reason=reason, api_key_id=key_id(request))
        return Response(self.get_serializer(self.fresh(template)).data)

    @extend_schema(
        summary="Skip one date of a recurring invoice",
        description="No invoice is issued for that date (an upcoming one, or one held for review); recorded "
        "with the reason. A `scheduled_on` that is not such a date is refused with a 400; a finished or "
        "deleted one with a 409.",
        request=s.RecurringSkipSerializer,
        responses={200: s.RecurringInvoiceSerializer},
        operation_id="recurring_invoices_skip",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def skip(self, request: Request, pk: str) -> Response:
        template = self.get_object()
        data = valid(s.RecurringSkipSerializer, request)
        recurring_skip(
            template=template,
            actor=None,
            scheduled_on=data["scheduled_on"],
            reason=data["reason"],
            api_key_id=key_id(request),
        )
        return Response(self.get_serializer(self.fresh(template)).data)


def _template_fields(customer: Customer, data: dict[str, Any], *, terms: str) -> TemplateFields:
    return TemplateFields(
        customer=customer,
        frequency=data["frequency"],
        start_on=data["start_on"],
        end_on=data.get("end_on"),
        count=data.get("count"),
        lines=[Line(line["description"], line["quantity"], line["unit_price_cents"]) for line in data["lines"]],
        terms=data.get("terms") or terms,
        tax_rate=data["tax_rate"],
        memo=data.get("memo", ""),
        delivery=data["delivery"],
    )
