"""The CSV import of customers: a good file becomes customers, each with an "imported" event; a file
with any problem imports nothing and says, line by line, what to fix. The file as a whole (its
encoding, size and header) is tried here too, through the customers' layout."""

from __future__ import annotations

import pytest

from remit.customers.actions import customer_archive
from remit.customers.importer import CUSTOMERS, import_customers
from remit.customers.models import Customer, CustomerEvent
from remit.lib.csv_import import MAX_PROBLEMS
from remit.lib.csv_table import MAX_BYTES, MAX_ROWS, NOT_UTF8, ImportProblem, normalize
from remit.test import csv_file, make_biller, make_customer, problems_of

pytestmark = pytest.mark.django_db


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
    names = [normalize(alias) for column in CUSTOMERS.columns for alias in column.aliases]
    assert len(names) == len(set(names))


# --- Rows ----------------------------------------------------------------------------------------


def test_a_good_customers_file_creates_each_customer_with_an_imported_event(acme, owner):
    data = csv_file(
        "Name,Customer_Reference,Billing-Emails,Address Line 1,address line 2,CITY,State,Postal Code,Country",
        "Globex Corporation,GLX-1,ap@globex.example; Billing@Globex.example,1 Main St,Suite 4,Springfield,IL,62701,",
        '"Initech, Inc.",,ap@initech.example,,,Austin,TX,73301-0001,us',
    )
    result = import_customers(biller=acme, actor=owner, file=data)
    assert result.ok, result.problems
    assert result.customers_created == 2
    assert result.summary() == "Imported 2 customers."
    globex = Customer.objects.get(biller=acme, reference="GLX-1")
    assert globex.name == "Globex Corporation"
    assert globex.billing_emails == ["ap@globex.example", "billing@globex.example"]
    assert globex.address_lines == ["1 Main St", "Suite 4", "Springfield, IL 62701"]
    initech = Customer.objects.get(biller=acme, name="Initech, Inc.")
    assert (initech.reference, initech.postal_code, initech.country) == ("", "73301-0001", "US")
    events = CustomerEvent.objects.filter(customer__biller=acme)
    assert {(e.kind, e.actor_id) for e in events} == {(CustomerEvent.Kind.IMPORTED, owner.pk)}


def test_columns_are_found_by_their_other_names_and_unknown_ones_are_ignored(acme):
    data = csv_file("Company,Account Number,E-mail,Phone", "Globex,A-1,ap@globex.example,555-0100")
    result = import_customers(biller=acme, actor=None, file=data)
    assert result.ok
    assert result.ignored_columns == ["Phone"]
    assert "“Phone”" in result.summary()
    assert Customer.objects.get(biller=acme).reference == "A-1"


def test_each_bad_customer_row_is_reported_at_its_line_and_column(acme):
    data = csv_file(
        "Name,Reference,Email,ZIP,Country",
        ",R1,ap@one.example,,",
        "Two,R2,not-an-email,,",
        "Three,R3,,,",
        "Four,R4,ap@four.example,1234,",
        "Five,R5,ap@five.example,,USA",
        f"Six,{'X' * 65},ap@six.example,,",
    )
    result = import_customers(biller=acme, actor=None, file=data)
    assert problems_of(result) == [
        (2, "Name", "Enter the customer's name."),
        (3, "Email", "“not-an-email” is not an email address."),
        (4, "Email", "Enter at least one billing email address."),
        (5, "ZIP", "Enter a ZIP code like 12345 or 12345-6789."),
        (6, "Country", "Use a two-letter country code, e.g. US."),
        (7, "Reference", "The customer reference is longer than 64 characters."),
    ]
    assert Customer.objects.count() == 0


def test_a_customer_reference_may_be_used_only_once(acme, customers):
    customer_archive(customer=make_customer(acme, "Old Co", reference="OLD-1"), actor=None)
    data = csv_file(
        "Name,Reference,Email",
        "Globex again,glx-1,ap@g.example",  # the database has GLX-1
        "Retired,old-1,ap@o.example",  # an archived customer still holds its reference
        "New One,NEW-1,ap@n.example",
        "New Two,new-1,ap@n2.example",  # the row above has it
    )
    result = import_customers(biller=acme, actor=None, file=data)
    assert problems_of(result) == [
        (2, "Reference", "Another customer already has the reference “glx-1”."),
        (3, "Reference", "Another customer already has the reference “old-1”."),
        (5, "Reference", "Line 4 has the same reference “new-1”; each customer needs its own."),
    ]


def test_a_customers_file_without_an_email_column_says_so(acme):
    result = import_customers(biller=acme, actor=None, file=csv_file("Name,City", "Globex,Springfield"))
    assert problems_of(result) == [
        (1, "email", "The file has no “email” column. The first line must name the columns.")
    ]


def test_another_billers_references_do_not_count(acme, customers):
    other, _ = make_biller("Other Biller")
    result = import_customers(biller=other, actor=None, file=csv_file("Name,Reference,Email", "G,GLX-1,a@b.example"))
    assert result.ok


# --- The file as a whole -------------------------------------------------------------------------


def test_a_windows_1252_file_is_refused_with_advice(acme, customers):
    data = "Name,Email\nCafé Zoë,ap@cafe.example\n".encode("cp1252")
    result = import_customers(biller=acme, actor=None, file=data)
    assert problems_of(result) == [(0, "", NOT_UTF8)]
    assert (
        str(result.problems[0])
        == "The file is not UTF-8 text. In Excel choose “CSV UTF-8 (Comma delimited)” when saving."
    )
    assert Customer.objects.filter(name__startswith="Caf").count() == 0


def test_a_utf16_file_is_refused(acme):
    for encoding in ("utf-16", "utf-16-le"):
        result = import_customers(biller=acme, actor=None, file="Name,Email\nA,a@b.example\n".encode(encoding))
        assert problems_of(result) == [(0, "", NOT_UTF8)]


def test_a_utf8_file_with_a_byte_order_mark_is_read(acme):
    data = "Name,Email\nCafé Zoë,ap@cafe.example\n".encode("utf-8-sig")
    assert import_customers(biller=acme, actor=None, file=data).ok
    assert Customer.objects.get(biller=acme).name == "Café Zoë"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty. Its first line must name the columns, then one row per record."),
        (b"\r\n \r\n", "The file is empty. Its first line must name the columns, then one row per record."),
        (b"Name,Email\r\n", "The file has only its header line. Add one row per record below it."),
        (b"Name,Email\r\n,\r\n", "The file has only its header line. Add one row per record below it."),
    ],
)
def test_an_empty_file_or_a_header_alone(acme, data, message):
    assert problems_of(import_customers(biller=acme, actor=None, file=data)) == [(0, "", message)]


def test_a_file_too_large_or_too_long_is_refused(acme):
    big = b"Name,Email\n" + b"x" * MAX_BYTES
    assert [p.message for p in import_customers(biller=acme, actor=None, file=big).problems] == [
        "The file is larger than 20 MB. Split it into smaller files."
    ]
    long = csv_file("Name,Email", *["A,a@b.example"] * (MAX_ROWS + 1))
    assert [p.message for p in import_customers(biller=acme, actor=None, file=long).problems] == [
        "The file has more than 50,000 rows. Split it into smaller files."
    ]


def test_a_file_object_is_read_like_bytes(acme, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_file("Name,Email", "Globex,ap@globex.example"))
    with path.open("rb") as file:
        assert import_customers(biller=acme, actor=None, file=file).ok


def test_problems_are_listed_up_to_a_limit_and_counted_beyond_it(acme):
    data = csv_file("Name,Email", *[f"Customer {n},nope" for n in range(MAX_PROBLEMS + 5)])
    result = import_customers(biller=acme, actor=None, file=data)
    assert len(result.problems) == MAX_PROBLEMS
    assert result.more_problems == 5
    assert result.problem_count == MAX_PROBLEMS + 5
    assert result.summary() == "Nothing was imported: the file has 1,005 problems."
    assert result.problems[0] == ImportProblem(2, "Email", "“nope” is not an email address.")
