"""CSV exports of a biller's invoices and payments, for their accounting.

The rows are generators (header first) over ``.iterator(chunk_size=…)``, so a biller with a
million invoices streams them with little memory, and the number of queries grows with the number
of chunks, never with the number of rows. Amounts are plain decimals ("1234.50") that
spreadsheets and accounting packages read as numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.utils import timezone

from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.ledger.models import Allocation, Payment
from remit.lib.money import cents_to_plain

CHUNK = 2000
ROWS_PER_WRITE = 200

INVOICE_HEADER = [
    "Invoice number",
    "Customer",
    "Customer reference",
    "Issue date",
    "Due date",
    "Status",
    "Subtotal",
    "Tax",
    "Total",
    "Paid",
    "Balance",
    "Available to pay",
    "Voided at",
    "Void reason",
]
PAYMENT_HEADER = [
    "Payment ID",
    "Date",
    "Customer",
    "Customer reference",
    "Method",
    "Status",
    "Amount",
    "Reference",
    "Invoices",
    "AutoPay",
]


def text_cell(value: str) -> str:
    """Text a customer or biller typed, made safe to open in a spreadsheet.

    Excel runs a cell that starts with = + - @ as a formula ("CSV injection"); a leading
    apostrophe makes it plain text. Only free text gets this: amounts and dates never start so.
    """
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _instant(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def invoices_csv_rows(biller: Biller, *, today: date | None = None) -> Iterator[list[str]]:
    today = today or timezone.localdate()
    yield INVOICE_HEADER
    invoices = Invoice.objects.filter(biller=biller).select_related("customer").order_by("issue_date", "pk")
    for invoice in invoices.iterator(chunk_size=CHUNK):
        yield [
            invoice.number,
            text_cell(invoice.customer.name),
            text_cell(invoice.customer.reference),
            invoice.issue_date.isoformat(),
            invoice.due_date.isoformat(),
            invoice.status_on(today).label,
            cents_to_plain(invoice.subtotal_cents),
            cents_to_plain(invoice.tax_cents),
            cents_to_plain(invoice.total_cents),
            cents_to_plain(invoice.paid_cents),
            cents_to_plain(invoice.balance_cents),
            cents_to_plain(invoice.available_cents),
            _instant(invoice.voided_at),
            text_cell(invoice.void_reason),
        ]


def payments_csv_rows(biller: Biller) -> Iterator[list[str]]:
    yield PAYMENT_HEADER
    # With a chunk size, iterator() runs the prefetch once per chunk: two queries per 2,000 payments.
    allocations = Allocation.objects.select_related("invoice").order_by("invoice__number", "pk")
    payments = (
        Payment.objects.filter(biller=biller)
        .select_related("customer")
        .prefetch_related(Prefetch("allocations", queryset=allocations))
        .order_by("pay_on", "pk")
    )
    for payment in payments.iterator(chunk_size=CHUNK):
        customer: Customer = payment.customer
        yield [
            str(payment.pk),
            payment.pay_on.isoformat(),
            text_cell(customer.name),
            text_cell(customer.reference),
            payment.get_method_display(),
            payment.get_status_display(),
            cents_to_plain(payment.amount_cents),
            text_cell(payment.reference),
            "; ".join(f"{a.invoice.number}:{cents_to_plain(a.amount_cents)}" for a in payment.allocations.all()),
            "yes" if payment.is_autopay else "no",
        ]


class _Echo:
    """A file-like object that hands back what csv.writer writes, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[Sequence[str]], filename: str) -> StreamingHttpResponse:
    """A download that streams ``rows`` as CSV. The byte-order mark makes Excel read it as UTF-8."""
    writer = csv.writer(_Echo())

    def chunks() -> Iterator[str]:
        yield "\ufeff"
        batch: list[str] = []
        for row in rows:
            batch.append(writer.writerow(row))
            if len(batch) == ROWS_PER_WRITE:
                yield "".join(batch)
                batch = []
        yield "".join(batch)

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
