"""The CSV import of invoices: good files become invoices; a file with any problem imports nothing
and says, line by line, what to fix. (The import of customers: remit/customers/tests/test_importer.py.)"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps

from remit.customers.actions import customer_archive
from remit.customers.importer import import_customers
from remit.invoices.actions import InvoiceDraft, invoice_create
from remit.invoices.importer import INVOICES, import_invoices
from remit.invoices.models import Invoice, InvoiceEvent
from remit.invoices.totals import Line
from remit.lib.csv_import import progress_phase
from remit.lib.csv_table import normalize
from remit.test import csv_file, make_biller, make_customer, problems_of

pytestmark = pytest.mark.django_db

INVOICE_HEADER = "Invoice Number,Customer Reference,Issue Date,Terms,Description,Quantity,Unit Price,Tax Rate,Memo"


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def biller():
    return make_biller("Acme Supply Co.")


@pytest.fixture
def owner(biller):
    return biller[1]


@pytest.fixture
def acme(biller):
    return biller[0]


@pytest.fixture
def customers(acme):
    return {
        "globex": make_customer(acme, "Globex Corporation", reference="GLX-1"),
        "initech": make_customer(acme, "Initech", reference="INI-7"),
    }


def test_no_header_could_mean_two_columns():
    names = [normalize(alias) for column in INVOICES.columns for alias in column.aliases]
    assert len(names) == len(set(names))


# --- Invoices: good files ------------------------------------------------------------------------


def test_a_good_invoices_file_makes_multi_line_invoices_with_the_right_totals(acme, owner, customers):
    data = csv_file(
        INVOICE_HEADER,
        "A-100,GLX-1,2025-01-15,Net 30,Widgets,3,19.99,8.25,Thank you",
        "A-100,GLX-1,2025-01-15,Net 30,Installation,1.5,120,8.25%,Thank you",
        "A-101,INI-7,01/20/2025,net_15,Consulting,10,150.00,,",
    )
    result = import_invoices(biller=acme, actor=owner, file=data)
    assert result.ok, result.problems
    assert (result.invoices_created, result.lines_created) == (2, 3)
    assert result.summary() == "Imported 2 invoices with 3 lines."
    a100 = Invoice.objects.get(biller=acme, number="A-100")
    assert a100.customer == customers["globex"]
    assert (a100.issue_date, a100.due_date, a100.terms) == (date(2025, 1, 15), date(2025, 2, 14), "net_30")
    # 3 × 19.99 = 59.97; 1.5 × 120 = 180.00; tax 8.25% of 239.97 = 19.797… → 19.80
    assert [line.amount_cents for line in a100.lines.all()] == [5997, 18000]
    assert (a100.subtotal_cents, a100.tax_cents, a100.total_cents) == (23997, 1980, 25977)
    assert (a100.memo, a100.tax_rate, a100.created_by) == ("Thank you", Decimal("8.25"), owner)
    assert [line.description for line in a100.lines.all()] == ["Widgets", "Installation"]
    a101 = Invoice.objects.get(biller=acme, number="A-101")
    assert (a101.issue_date, a101.due_date, a101.total_cents) == (date(2025, 1, 20), date(2025, 2, 4), 150000)
    events = InvoiceEvent.objects.filter(invoice__biller=acme)
    assert sorted((e.invoice.number, e.kind, e.data["total_cents"]) for e in events) == [
        ("A-100", "imported", 25977),
        ("A-101", "imported", 150000),
    ]


def test_rows_without_a_number_get_the_next_numbers_of_the_sequence(acme, customers):
    draft = InvoiceDraft(
        customer=customers["globex"], issue_date=date(2025, 1, 2), lines=[Line("Setup", Decimal(1), 100)]
    )
    assert invoice_create(biller=acme, actor=None, draft=draft).number == "INV-00001"
    data = csv_file(
        INVOICE_HEADER,
        ",GLX-1,2025-01-15,,Widgets,1,10,,",
        ",GLX-1,2025-01-15,,Widgets,1,10,,",  # the same content, but without a number: an invoice of its own
        "INV-00003,INI-7,2025-01-15,,Gadgets,1,20,,",  # the file's own number: the sequence skips it
        ",INI-7,2025-01-16,,Gadgets,2,20,,",
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    assert result.ok, result.problems
    numbers = dict(Invoice.objects.filter(biller=acme).values_list("number", "total_cents"))
    assert numbers == {"INV-00001": 100, "INV-00002": 1000, "INV-00003": 2000, "INV-00004": 1000, "INV-00005": 4000}
    draft.lines = [Line("More", Decimal(1), 100)]
    assert invoice_create(biller=acme, actor=None, draft=draft).number == "INV-00006"


@pytest.mark.parametrize(
    ("terms", "due", "expected_terms", "expected_due"),
    [
        ("Net 30", "", "net_30", date(2025, 3, 31)),
        ("net_7", "", "net_7", date(2025, 3, 8)),
        ("NET-45", "", "net_45", date(2025, 4, 15)),
        ("Due on receipt", "", "due_on_receipt", date(2025, 3, 1)),
        ("", "2025-03-20", "custom", date(2025, 3, 20)),
        ("Net 15", "03/16/2025", "net_15", date(2025, 3, 16)),  # both given, and they agree
        ("", "", "net_60", date(2025, 4, 30)),  # neither: the biller's default terms
    ],
)
def test_terms_and_due_dates(acme, customers, terms, due, expected_terms, expected_due):
    acme.default_terms = "net_60"
    acme.save()
    data = csv_file(
        "Customer,Issue date,Terms,Due date,Description,Unit price", f"Initech,2025-03-01,{terms},{due},X,1"
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    assert result.ok, result.problems
    invoice = Invoice.objects.get(biller=acme)
    assert (invoice.terms, invoice.due_date) == (expected_terms, expected_due)


def test_customers_are_found_by_reference_first_then_by_name(acme, customers):
    make_customer(acme, "Globex Corporation", reference="GLX-2")  # a second Globex: the name alone is ambiguous
    data = csv_file(
        "Customer reference,Customer,Issue date,Description,Unit price",
        "GLX-2,Globex Corporation,2025-01-01,X,1",
        ",initech,2025-01-01,X,1",  # by name, whatever its case
        "NOPE,  Initech ,2025-01-01,X,1",  # an unknown reference, but a known name
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    assert result.ok, result.problems
    found = list(Invoice.objects.filter(biller=acme).order_by("number").values_list("customer__reference", flat=True))
    assert found == ["GLX-2", "INI-7", "INI-7"]


def test_a_semicolon_separated_file_with_quoted_lines_and_blank_rows(acme, customers):
    data = csv_file(
        "Invoice number;Customer;Issue date;Description;Unit price;Memo",
        "",
        'B-1;Initech;2025-01-01;Widgets;1234.00;"Two',
        'lines"',
        ";;;;;",
        "B-2;Initech;2025-01-01;;x;",
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    # Line numbers count the blank lines and the memo's second line: the bad row is line 6.
    assert problems_of(result) == [
        (6, "Unit price", "“x” is not an amount. Use digits and an optional decimal point, e.g. 1234.50."),
        (6, "Description", "Enter a description."),
    ]
    good = csv_file(
        "Invoice number;Customer;Issue date;Description;Unit price;Memo", 'B-1;Initech;2025-01-01;W;1,234.00;"A\nB"'
    )
    assert import_invoices(biller=acme, actor=None, file=good).ok
    assert Invoice.objects.get(number="B-1").memo == "A\nB"


# --- Invoices: problems --------------------------------------------------------------------------


def test_every_bad_invoice_row_is_reported_at_its_line_and_column(acme, customers):
    data = csv_file(
        INVOICE_HEADER,
        "C-1,GLX-1,2025-01-15,Net 30,Widgets,1,12.345,,",
        "C-2,GLX-1,2025-01-15,Net 30,Widgets,-2,10,,",
        "C-3,GLX-1,2025-01-15,Net 30,Widgets,1.2345,10,,",
        "C-4,GLX-1,2025-01-15,Net 30,Widgets,1,-10,,",
        "C-5,NOBODY,2025-01-15,Net 30,Widgets,1,10,,",
        "C-6,GLX-1,13/01/2025,Net 30,Widgets,1,10,,",
        "C-7,GLX-1,2025-01-15,Net 25,Widgets,1,10,,",
        "C-8,GLX-1,2025-01-15,Net 30,,1,10,,",
        "C-9,GLX-1,2025-01-15,Net 30,Widgets,1,10,150,",
        "C 10,GLX-1,2025-01-15,Net 30,Widgets,1,10,,",
        "C-11,GLX-1,2025-01-15,Net 30,Widgets,1,,,",
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    assert problems_of(result) == [
        (2, "Unit Price", "“12.345” has more than two decimals; amounts are in dollars and cents."),
        (3, "Quantity", "The quantity cannot be negative."),
        (4, "Quantity", "The quantity has more than 3 decimals."),
        (5, "Unit Price", "Enter an amount that is not negative."),
        (6, "Customer Reference", "No customer has the reference “NOBODY”. Import your customers first, or check it."),
        (7, "Issue Date", "“13/01/2025” is not a date. Use YYYY-MM-DD (e.g. 2025-01-31) or MM/DD/YYYY."),
        (
            8,
            "Terms",
            "“Net 25” is not payment terms Remit knows. Use Due on receipt, Net 7, Net 15, Net 30, Net 45, Net 60, "
            "Net 90, or give a due date instead.",
        ),
        (9, "Description", "Enter a description."),
        (10, "Tax Rate", "The tax rate must be between 0% and 100%."),
        (11, "Invoice Number", "Use up to 40 letters, digits and - _ / . # for the invoice number."),
        (12, "Unit Price", "Enter the unit price, e.g. 120.00."),
    ]
    assert Invoice.objects.count() == 0


def test_amounts_quantities_and_tax_rates_are_read_in_ascii_digits_only(acme, customers):
    data = csv_file(
        INVOICE_HEADER,
        "C-1,GLX-1,2025-01-15,Net 30,Widgets,1,٥,,",
        "C-2,GLX-1,2025-01-15,Net 30,Widgets,٣,10,,",
        "C-3,GLX-1,2025-01-15,Net 30,Widgets,1,10,٨%,",
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    assert [(line, field) for line, field, _ in problems_of(result)] == [
        (2, "Unit Price"),
        (3, "Quantity"),
        (4, "Tax Rate"),
    ]
    assert problems_of(result)[0][2].startswith("“٥” is not an amount.")
    assert Invoice.objects.count() == 0


def test_a_due_date_before_the_issue_date_is_refused(acme, customers):
    data = csv_file("Customer,Issue date,Due date,Description,Unit price", "Initech,2025-02-01,2025-01-31,X,1")
    result = import_invoices(biller=acme, actor=None, file=data)
    assert problems_of(result) == [(2, "Due date", "The due date is before the issue date.")]


def test_terms_that_would_end_after_the_year_9999_are_refused(acme, customers):
    data = csv_file(
        "Customer,Issue date,Terms,Due date,Description,Unit price",
        "Initech,9999-12-20,Net 30,9999-12-31,X,1",
        "Initech,9999-12-21,Net 30,,X,1",
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    message = "The due date would be after the year 9999: check the issue date."
    assert [(line, message) for line, _, message in problems_of(result)] == [(2, message), (3, message)]
    assert Invoice.objects.count() == 0


def test_a_due_date_that_contradicts_the_terms_is_refused(acme, customers):
    data = csv_file(
        "Customer,Issue date,Terms,Due date,Description,Unit price", "Initech,2025-02-01,Net 30,2025-02-10,X,1"
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    message = "The due date doesn't match the terms Net 30 (due 2025-03-03). Leave one of them empty."
    assert problems_of(result) == [(2, "Due date", message)]


def test_names_that_are_ambiguous_unknown_or_archived(acme, customers):
    make_customer(acme, "Initech", reference="INI-8")
    customer_archive(customer=make_customer(acme, "Old Co"), actor=None)
    data = csv_file(
        "Customer,Issue date,Description,Unit price",
        "Initech,2025-01-01,X,1",
        "Umbrella,2025-01-01,X,1",
        "Old Co,2025-01-01,X,1",
        ",2025-01-01,X,1",
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    assert problems_of(result) == [
        (2, "Customer", "2 customers are named “Initech”. Add a customer reference column to say which one."),
        (3, "Customer", "No customer has the name “Umbrella”. Import your customers first, or check the spelling."),
        (4, "Customer", "Old Co is archived. Restore the customer first."),
        (5, "Customer", "Enter the customer's reference or name."),
    ]


def test_another_billers_customers_are_unknown(acme, customers):
    other, _ = make_biller("Other Biller")
    result = import_invoices(
        biller=other, actor=None, file=csv_file("Customer,Issue date,Description,Unit price", "Initech,2025-01-01,X,1")
    )
    assert [p.message for p in result.problems] == [
        "No customer has the name “Initech”. Import your customers first, or check the spelling."
    ]


def test_rows_of_one_invoice_must_agree(acme, customers):
    data = csv_file(
        INVOICE_HEADER,
        "D-1,GLX-1,2025-01-15,Net 30,Widgets,1,10,,",
        "D-1,GLX-1,2025-01-15,Net 30,Gadgets,1,10,,",
        "D-1,INI-7,2025-01-16,Net 30,Gizmos,1,10,,",
        "D-1,GLX-1,2025-01-15,Net 30,Gizmos,1,10,,Note",
    )
    result = import_invoices(biller=acme, actor=None, file=data)
    rule = "The rows of one invoice must have the same customer, issue date, due date or terms, tax rate and memo"
    assert problems_of(result) == [
        (
            4,
            "Invoice Number",
            f"Invoice number D-1 is also on line 2, with a different customer and issue date. {rule}; "
            "give different invoices different numbers.",
        ),
        (
            5,
            "Invoice Number",
            f"Invoice number D-1 is also on line 2, with a different memo. {rule}; "
            "give different invoices different numbers.",
        ),
    ]


def test_an_invoice_number_already_used_is_refused(acme, customers):
    draft = InvoiceDraft(
        customer=customers["globex"], issue_date=date(2025, 1, 2), lines=[Line("Setup", Decimal(1), 100)], number="E-1"
    )
    invoice_create(biller=acme, actor=None, draft=draft)
    data = csv_file(INVOICE_HEADER, "E-1,GLX-1,2025-01-15,,Widgets,1,10,,", "E-1,GLX-1,2025-01-15,,More,1,10,,")
    result = import_invoices(biller=acme, actor=None, file=data)
    assert problems_of(result) == [(2, "Invoice Number", "Invoice number E-1 is already used.")]


def test_a_missing_column_is_named(acme):
    result = import_invoices(biller=acme, actor=None, file=csv_file("Invoice number,Issue date,Description", "1,2,3"))
    assert problems_of(result) == [
        (1, "unit price", "The file has no “unit price” column. The first line must name the columns."),
        (1, "", "The file needs a “customer reference” or “customer” column, to say which customer each row is for."),
    ]


def test_two_columns_meaning_the_same_are_refused(acme):
    result = import_invoices(
        biller=acme, actor=None, file=csv_file("Customer,Name,Issue date,Description,Unit price", "x")
    )
    assert problems_of(result) == [(1, "Name", "“Customer” and “Name” both mean customer. Keep one of them.")]


def test_a_number_taken_while_the_file_was_being_checked_stops_the_whole_import(acme, customers):
    data = csv_file(INVOICE_HEADER, "G-1,GLX-1,2025-01-15,,Widgets,1,10,,", "G-2,GLX-1,2025-01-15,,Widgets,1,10,,")

    def someone_else_saves_g2(done: int, total: int) -> None:
        if done == total // 2:  # every row is checked; nothing is written yet
            draft = InvoiceDraft(
                customer=customers["initech"],
                issue_date=date(2025, 1, 2),
                lines=[Line("X", Decimal(1), 1)],
                number="G-2",
            )
            invoice_create(biller=acme, actor=None, draft=draft)

    result = import_invoices(biller=acme, actor=None, file=data, progress=someone_else_saves_g2)
    assert [p.message for p in result.problems] == [
        "Someone saved an invoice with the same number as a row of this file while it was being imported. "
        "Nothing was imported; import the file again to see which row it is."
    ]
    assert list(Invoice.objects.values_list("number", flat=True)) == ["G-2"]


# --- The file as a whole -------------------------------------------------------------------------


def test_a_failing_import_changes_nothing_in_the_database(acme, customers):
    before = row_counts()
    data = csv_file(
        INVOICE_HEADER,
        "F-1,GLX-1,2025-01-15,,Widgets,1,10,,",
        "F-2,GLX-1,2025-01-15,,Widgets,1,10,,",
        ",GLX-1,2025-01-15,,Widgets,1,10.001,,",
    )
    assert not import_invoices(biller=acme, actor=None, file=data).ok
    customers_file = csv_file("Name,Email", "Good,a@b.example", "Bad,nope")
    assert not import_customers(biller=acme, actor=None, file=customers_file).ok
    assert row_counts() == before


def test_progress_counts_rows_checked_then_rows_written(acme, customers):
    calls: list[tuple[int, int]] = []
    rows = [f",GLX-1,2025-01-15,,Widgets,1,{n},," for n in range(1, 1201)]
    result = import_invoices(
        biller=acme, actor=None, file=csv_file(INVOICE_HEADER, *rows), progress=lambda *c: calls.append(c)
    )
    assert result.ok
    assert calls[0] == (0, 2400)
    assert calls[-1] == (2400, 2400)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})  # never goes back
    assert 5 <= len(calls) <= 10  # a few updates, not one per row
    assert progress_phase(600, 2400) == ("checking", 600, 1200)
    assert progress_phase(1200, 2400) == ("checking", 1200, 1200)
    assert progress_phase(1800, 2400) == ("importing", 600, 1200)
    assert progress_phase(2400, 2400) == ("importing", 1200, 1200)


def test_ten_thousand_invoice_rows_import_quickly(acme, customers):
    rows = []
    for n in range(10_000):
        number = f"P-{n // 2}" if n < 6_000 else ""  # 3,000 two-line invoices and 4,000 numbered automatically
        customer = "GLX-1" if (n // 2) % 3 else "INI-7"
        rows.append(f"{number},{customer},2025-01-15,Net 30,Item {n},2,{n % 500}.25,5,")
    data = csv_file(INVOICE_HEADER, *rows)
    started = time.monotonic()
    result = import_invoices(biller=acme, actor=None, file=data)
    elapsed = time.monotonic() - started
    assert result.ok, result.problems[:5]
    assert (result.invoices_created, result.lines_created) == (7_000, 10_000)
    assert Invoice.objects.filter(biller=acme, number__startswith="INV-").count() == 4_000
    assert elapsed < 30, f"10,000 rows took {elapsed:.1f} s"
    print(f"10,000 invoice rows imported in {elapsed:.2f} s")
