"""CSV exports for accounting: the columns, the values, and a number of queries that doesn't grow with
the number of rows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from remit.invoices.actions import InvoiceDraft, invoice_create, invoice_void
from remit.invoices.exports import (
    INVOICE_HEADER,
    PAYMENT_HEADER,
    csv_response,
    invoices_csv_rows,
    payments_csv_rows,
    text_cell,
)
from remit.invoices.importer import import_invoices
from remit.invoices.totals import Line
from remit.payments.actions import payment_record_offline
from remit.payments.models import Payment, PaymentMethod
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 2, 20, 10, 30, tzinfo=ZoneInfo("America/New_York"))
TODAY = NOW.date()


@pytest.fixture
def books():
    """Acme's invoices: one part paid by check and part scheduled, one with tax, one void."""
    acme, owner = make_biller("Acme Supply Co.")
    globex = make_customer(acme, "Globex Corporation", reference="GLX-1")
    initech = make_customer(acme, "Initech")
    with time_machine.travel(NOW, tick=False):
        first = make_invoice(globex, amount_cents=100_000, issue_date=date(2025, 1, 15))
        second = invoice_create(
            biller=acme,
            actor=owner,
            draft=InvoiceDraft(
                customer=globex,
                issue_date=date(2025, 2, 10),
                lines=[Line("Gadgets", Decimal(2), 12_500)],
                tax_rate=Decimal(8),
            ),
        )
        void = make_invoice(initech, amount_cents=7_500, issue_date=date(2025, 2, 1))
        invoice_void(invoice=void, actor=owner, reason="Sent twice")
        check = payment_record_offline(
            invoice=first,
            actor=owner,
            amount_cents=40_000,
            method=PaymentMethod.CHECK,
            received_on=date(2025, 2, 18),
            reference="1234",
        )
    autopay = schedule_autopay(globex, [(first, 10_000), (second, 5_000)], pay_on=date(2025, 2, 25))
    return acme, check, autopay


def schedule_autopay(customer, parts, *, pay_on: date) -> Payment:
    # A Pay On date in the past: written as rows (see remit.test.ach_payment_rows).
    return ach_payment_rows(customer, parts, pay_on=pay_on, is_autopay=True)


def by_header(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_invoices_export_has_a_header_and_one_row_per_invoice(books):
    acme, _, _ = books
    rows = list(invoices_csv_rows(acme, today=TODAY))
    assert rows[0] == INVOICE_HEADER
    amounts = ["Subtotal", "Tax", "Total", "Paid", "Balance", "Available to pay"]
    assert [(r["Invoice number"], r["Status"], *(r[a] for a in amounts)) for r in by_header(rows)] == [
        ("INV-00001", "Overdue", "1000.00", "0.00", "1000.00", "400.00", "600.00", "500.00"),
        ("INV-00003", "Void", "75.00", "0.00", "75.00", "0.00", "75.00", "0.00"),
        ("INV-00002", "Open", "250.00", "20.00", "270.00", "0.00", "270.00", "220.00"),
    ]
    first, void, _ = by_header(rows)
    assert first == {
        **first,
        "Customer": "Globex Corporation",
        "Customer reference": "GLX-1",
        "Issue date": "2025-01-15",
        "Due date": "2025-02-14",
        "Voided at": "",
        "Void reason": "",
    }
    assert (void["Customer reference"], void["Voided at"], void["Void reason"]) == (
        "",
        "2025-02-20 10:30:00",
        "Sent twice",
    )


def test_the_payments_export_lists_what_each_payment_paid(books):
    acme, check, autopay = books
    rows = list(payments_csv_rows(acme))
    assert rows[0] == PAYMENT_HEADER
    assert by_header(rows) == [
        {
            "Payment ID": str(check.pk),
            "Date": "2025-02-18",
            "Customer": "Globex Corporation",
            "Customer reference": "GLX-1",
            "Method": "Check",
            "Status": "Settled",
            "Amount": "400.00",
            "Reference": "1234",
            "Invoices": "INV-00001:400.00",
            "AutoPay": "no",
        },
        {
            "Payment ID": str(autopay.pk),
            "Date": "2025-02-25",
            "Customer": "Globex Corporation",
            "Customer reference": "GLX-1",
            "Method": "ACH debit",
            "Status": "Scheduled",
            "Amount": "150.00",
            "Reference": "",
            "Invoices": "INV-00001:100.00; INV-00002:50.00",
            "AutoPay": "yes",
        },
    ]


def test_another_billers_rows_are_not_exported(books):
    other, _ = make_biller("Other Biller")
    assert list(invoices_csv_rows(other)) == [INVOICE_HEADER]
    assert list(payments_csv_rows(other)) == [PAYMENT_HEADER]


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_made_plain():
    assert text_cell('=HYPERLINK("http://evil.example")') == '\'=HYPERLINK("http://evil.example")'
    assert [text_cell(v) for v in ("+1", "-1", "@SUM(A1)", "Acme", "")] == ["'+1", "'-1", "'@SUM(A1)", "Acme", ""]


def test_a_customer_named_like_a_formula_is_exported_as_text():
    acme, _ = make_biller("Acme Supply Co.")
    make_invoice(make_customer(acme, "=1+2"))
    assert list(invoices_csv_rows(acme))[1][1] == "'=1+2"


def many_invoices(count: int):
    acme, owner = make_biller()
    make_customer(acme, "Globex Corporation", reference="GLX-1")
    rows = "".join(f",GLX-1,2025-01-15,Item {n},{n}.00\r\n" for n in range(1, count + 1))
    result = import_invoices(
        biller=acme, actor=owner, file=f"Number,Customer reference,Issue date,Description,Unit price\r\n{rows}".encode()
    )
    assert result.ok
    return acme, owner


def queries_to_export(rows) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        exported = list(rows)
    return len(queries), len(exported)


def test_exporting_10_or_200_invoices_takes_the_same_number_of_queries():
    few, _ = many_invoices(10)
    lots, _ = many_invoices(200)
    few_queries, few_rows = queries_to_export(invoices_csv_rows(few))
    lots_queries, lots_rows = queries_to_export(invoices_csv_rows(lots))
    assert (few_rows, lots_rows) == (11, 201)
    assert few_queries == lots_queries <= 2


def test_exporting_10_or_200_payments_takes_the_same_number_of_queries():
    counts = []
    for count in (10, 200):
        biller, owner = many_invoices(count)
        for invoice in biller.invoices.all():
            payment_record_offline(
                invoice=invoice, actor=owner, amount_cents=100, method=PaymentMethod.WIRE, received_on=date(2025, 1, 20)
            )
        queries, rows = queries_to_export(payments_csv_rows(biller))
        assert rows == count + 1
        counts.append(queries)
    assert counts[0] == counts[1] <= 3


def test_csv_response_streams_a_utf8_download_that_excel_reads(books):
    acme, _, _ = books
    response = csv_response(invoices_csv_rows(acme, today=TODAY), "acme-invoices.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="acme-invoices.csv"'
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert body.startswith(b"\xef\xbb\xbf")  # the byte-order mark: Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == list(invoices_csv_rows(acme, today=TODAY))


def test_csv_response_with_many_rows_keeps_every_row():
    rows = [["n", "text"]] + [[str(n), f"row, {n}"] for n in range(1, 1001)]
    response = csv_response(iter(rows), "rows.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[arg-type]
    assert list(csv.reader(io.StringIO(body))) == rows
