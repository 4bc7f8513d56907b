"""Import invoices from a CSV file: all of it or — if any row is wrong — none of it.

Every row is checked first, by the rules the console's form uses (``invoice_check``), and every
problem is collected with its line in the file, so the biller can fix the whole file at once. Rows
sharing an invoice number are the lines of one invoice. Only a file without problems is written, by
``invoices_create`` (the console's and the API's write path, which inserts in batches). Customers
are imported by ``remit/customers/importer.py``; what both imports share (the result, progress,
batches) is ``remit/lib/csv_import.py``; reading the file is ``remit/lib/csv_table.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, TypeVar

from django.db import IntegrityError

from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.invoices.actions import InvoiceDraft, InvoiceError, invoice_check, invoices_create, numbers_taken
from remit.invoices.totals import Line, Totals, TotalsError, due_date_for
from remit.lib.csv_import import CHANGED_MEANWHILE, ImportResult, Progress, Ticker, failed
from remit.lib.csv_table import Column, FileProblem, ImportProblem, Layout, Row, Table, normalize, read_table, read_text
from remit.lib.money import MoneyError, parse_cents, parse_decimal
from remit.lib.terms import TERMS_DAYS, TERMS_LABELS
from remit.users.models import User

MAX_QUANTITY = Decimal("999999999.999")  # InvoiceLine.quantity holds 12 digits, 3 of them decimals
SAME_INVOICE = "customer, issue date, due date or terms, tax rate and memo"

T = TypeVar("T")

INVOICES = Layout(
    "invoices",
    (
        Column("number", "invoice number", ("invoice number", "invoice no", "invoice #", "number")),
        Column(
            "customer_reference",
            "customer reference",
            ("customer reference", "customer ref", "customer id", "account number", "account no", "reference"),
        ),
        Column("customer", "customer", ("customer", "customer name", "name", "company")),
        Column("issue_date", "issue date", ("issue date", "invoice date", "date", "date issued"), required=True),
        Column("due_date", "due date", ("due date", "due", "due on", "date due")),
        Column("terms", "terms", ("terms", "payment terms")),
        Column("description", "description", ("description", "item", "item description", "details"), required=True),
        Column("quantity", "quantity", ("quantity", "qty")),
        Column("unit_price", "unit price", ("unit price", "price", "unit cost", "price each"), required=True),
        Column("tax_rate", "tax rate", ("tax rate", "tax percent", "sales tax rate")),
        Column("memo", "memo", ("memo", "notes", "note")),
    ),
    one_of=("customer_reference", "customer"),
    one_of_why=", to say which customer each row is for",
)


# --- One row --------------------------------------------------------------------------------------

TERMS_BY_NAME = {
    **{normalize(key): key for key in TERMS_DAYS},
    **{normalize(label): key for key, label in TERMS_LABELS.items()},
    normalize("Due upon receipt"): "due_on_receipt",
}
TERMS_HELP = ", ".join(TERMS_LABELS.values())
DATE_FORMATS = ((re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), "%Y-%m-%d"), (re.compile(r"\d{1,2}/\d{1,2}/\d{4}"), "%m/%d/%Y"))


def parse_date(text: str) -> date:
    for pattern, date_format in DATE_FORMATS:
        if pattern.fullmatch(text):
            try:
                return datetime.strptime(text, date_format).date()
            except ValueError:
                break
    raise ValueError(f"“{text}” is not a date. Use YYYY-MM-DD (e.g. 2025-01-31) or MM/DD/YYYY.")


@dataclass(frozen=True)
class Head:
    """What every row of one invoice must agree on."""

    customer: Customer
    issue_date: date
    terms: str
    due_date: date | None  # only with terms == "custom"
    tax_rate: Decimal
    memo: str

    def differences(self, other: Head) -> list[str]:
        pairs = {
            "customer": (self.customer.pk, other.customer.pk),
            "issue date": (self.issue_date, other.issue_date),
            "due date or terms": ((self.terms, self.due_date), (other.terms, other.due_date)),
            "tax rate": (self.tax_rate, other.tax_rate),
            "memo": (self.memo, other.memo),
        }
        return [name for name, (mine, theirs) in pairs.items() if mine != theirs]


@dataclass
class InvoiceRow:
    line: int
    number: str
    head: Head | None  # None when a problem was found in it
    item: Line


class CustomerIndex:
    """The biller's customers by reference (all, unique) and by name (case-insensitive)."""

    def __init__(self, biller: Biller) -> None:
        self.by_reference: dict[str, Customer] = {}
        self.by_name: dict[str, list[Customer]] = {}
        customers = Customer.objects.filter(biller=biller).only("pk", "biller", "name", "reference", "archived_at")
        for customer in customers.iterator(chunk_size=2000):
            if customer.reference:
                self.by_reference[customer.reference.lower()] = customer
            self.by_name.setdefault(" ".join(customer.name.split()).lower(), []).append(customer)

    def find(self, *, reference: str, name: str) -> Customer | str:
        """The customer, or what to tell the biller. An archived match is returned: invoice_check explains it."""
        if reference and reference.lower() in self.by_reference:
            return self.by_reference[reference.lower()]
        if not name:
            if reference:
                return f"No customer has the reference “{reference}”. Import your customers first, or check it."
            return "Enter the customer's reference or name."
        named = self.by_name.get(" ".join(name.split()).lower(), [])
        current = [customer for customer in named if not customer.is_archived] or named
        if len(current) > 1:
            return f"{len(current)} customers are named “{name}”. Add a customer reference column to say which one."
        if current:
            return current[0]
        also = f"the reference “{reference}” or " if reference else ""
        return f"No customer has {also}the name “{name}”. Import your customers first, or check the spelling."


def _parse_head(
    row: Row, table: Table, biller: Biller, customers: CustomerIndex
) -> tuple[Head | None, list[ImportProblem]]:
    problems: list[ImportProblem] = []

    def problem(key: str, message: str) -> None:
        problems.append(ImportProblem(row.line, table.label(key), message))

    found = customers.find(reference=row.get("customer_reference"), name=row.get("customer"))
    if isinstance(found, str):
        problem(_customer_column(table, row), found)
    issue_date = _parse(row, "issue_date", parse_date, problem, missing="Enter the issue date.")
    tax_rate = _parse(row, "tax_rate", _parse_tax_rate, problem, default=Decimal(0))
    terms, due_date = _parse_due(row, biller, issue_date, problem)
    if problems or isinstance(found, str) or issue_date is None or tax_rate is None or terms is None:
        return None, problems
    return Head(found, issue_date, terms, due_date, tax_rate, row.get("memo")), problems


def _customer_column(table: Table, row: Row | None = None) -> str:
    """The column to point at about the customer: the one the row filled in, else one the file has."""
    if row is not None and row.get("customer_reference") and not row.get("customer"):
        return "customer_reference"
    return "customer" if "customer" in table.positions else "customer_reference"


def _parse(
    row: Row,
    key: str,
    parse: Callable[[str], T],
    problem: Callable[[str, str], None],
    *,
    missing: str = "",
    default: T | None = None,
) -> T | None:
    text = row.get(key)
    if not text:
        if missing:
            problem(key, missing)
        return default
    try:
        return parse(text)
    except ValueError as error:  # MoneyError is a ValueError
        problem(key, str(error))
        return None


def _parse_tax_rate(text: str) -> Decimal:
    return parse_decimal(text.removesuffix("%").strip(), places=3, what="tax rate")


def _parse_terms(text: str) -> str:
    if normalize(text) not in TERMS_BY_NAME:
        raise ValueError(f"“{text}” is not payment terms Remit knows. Use {TERMS_HELP}, or give a due date instead.")
    return TERMS_BY_NAME[normalize(text)]


def _parse_due(
    row: Row, biller: Biller, issue_date: date | None, problem: Callable[[str, str], None]
) -> tuple[str | None, date | None]:
    """(terms, due date): a due date alone is "custom" terms; neither means the biller's default terms."""
    terms = _parse(row, "terms", _parse_terms, problem)
    due = _parse(row, "due_date", parse_date, problem)
    if (row.get("terms") and terms is None) or (row.get("due_date") and due is None):
        return None, None
    if terms and due:
        try:
            expected_date = due_date_for(issue_date, terms) if issue_date else due
        except TotalsError as error:
            problem("terms", str(error))
            return None, None
        if expected_date != due:
            expected = expected_date.isoformat()
            message = (
                f"The due date doesn't match the terms {TERMS_LABELS[terms]} (due {expected}). Leave one of them empty."
            )
            problem("due_date", message)
            return None, None
        return terms, None
    if due:
        return "custom", due
    return terms or (biller.default_terms if biller.default_terms in TERMS_DAYS else "net_30"), None


def _parse_item(row: Row, table: Table) -> tuple[Line, list[ImportProblem]]:
    """The row's invoice line. A number that can't be read becomes 0 or 1 there, so that
    invoice_check still checks the rest of the line; the problem stops the import anyway."""
    problems: list[ImportProblem] = []

    def problem(key: str, message: str) -> None:
        problems.append(ImportProblem(row.line, table.label(key), message))

    quantity = _parse(row, "quantity", _parse_quantity, problem, default=Decimal(1))
    price = _parse(row, "unit_price", parse_cents, problem, missing="Enter the unit price, e.g. 120.00.")
    line = Line(
        description=row.get("description"),
        quantity=Decimal(1) if quantity is None else quantity,
        unit_price_cents=price or 0,
    )
    return line, problems


def _parse_quantity(text: str) -> Decimal:
    quantity = parse_decimal(text, places=3, what="quantity")
    if quantity > MAX_QUANTITY:
        raise MoneyError("The quantity is too large.")
    return quantity


# --- The file -------------------------------------------------------------------------------------

LINE_MESSAGE = re.compile(r"^Line (\d+): (.+)$")  # invoice_check's messages about one line of an invoice
DRAFT_FIELDS = {"number": "number", "terms": "terms", "due_date": "due_date", "memo": "memo", "lines": "description"}


@dataclass
class CheckedInvoice:
    line: int  # of its first row
    draft: InvoiceDraft
    due: date
    totals: Totals
    rows: int


def import_invoices(
    *, biller: Biller, actor: User | None, file: bytes | IO[bytes], progress: Progress | None = None
) -> ImportResult:
    try:
        table = read_table(read_text(file), INVOICES)
    except FileProblem as error:
        return failed(error.problems)
    tick = Ticker(progress, total=2 * len(table.rows))
    tick.step(0)
    checked, problems = _check_invoices(biller, table, tick)
    tick.flush()
    if problems:
        return failed(problems)
    try:
        lines = _write_invoices(biller, actor, checked, tick)
    except (IntegrityError, InvoiceError):  # a number the check found free was taken since
        return failed([ImportProblem(0, "", CHANGED_MEANWHILE.format(what="an invoice", key="number"))])
    return ImportResult(invoices_created=len(checked), lines_created=lines, ignored_columns=table.ignored)


def _check_invoices(biller: Biller, table: Table, tick: Ticker) -> tuple[list[CheckedInvoice], list[ImportProblem]]:
    customers = CustomerIndex(biller)
    groups: dict[str, list[InvoiceRow]] = {}
    problems: list[ImportProblem] = []
    for row in table.rows:
        head, head_problems = _parse_head(row, table, biller, customers)
        item, item_problems = _parse_item(row, table)
        problems += head_problems + item_problems
        number = row.get("number")
        # Rows sharing a number are one invoice; a row without one is an invoice of its own (NUL
        # can't be in a number, so its key never meets a real one).
        groups.setdefault(number or f"\0{row.line}", []).append(InvoiceRow(row.line, number, head, item))
        tick.step()
    taken = numbers_taken(biller, [key for key in groups if not key.startswith("\0")])
    checked: list[CheckedInvoice] = []
    for rows in groups.values():
        invoice, group_problems = _check_group(biller, table, rows, taken)
        problems += group_problems
        if invoice is not None:
            checked.append(invoice)
    return checked, problems


def _check_group(
    biller: Biller, table: Table, rows: list[InvoiceRow], taken: set[str]
) -> tuple[CheckedInvoice | None, list[ImportProblem]]:
    first = rows[0]
    problems: list[ImportProblem] = []
    if first.number in taken:
        problems.append(
            ImportProblem(first.line, table.label("number"), f"Invoice number {first.number} is already used.")
        )
    for row in rows[1:]:
        differences = first.head.differences(row.head) if first.head and row.head else []
        if differences:
            message = (
                f"Invoice number {row.number} is also on line {first.line}, with a different "
                f"{' and '.join(differences)}. The rows of one invoice must have the same {SAME_INVOICE}; "
                "give different invoices different numbers."
            )
            problems.append(ImportProblem(row.line, table.label("number"), message))
    if first.head is None:
        return None, problems  # what is wrong with its rows is reported already
    head = first.head
    draft = InvoiceDraft(
        customer=head.customer,
        issue_date=head.issue_date,
        lines=[row.item for row in rows],
        terms=head.terms,
        due_date=head.due_date,
        tax_rate=head.tax_rate,
        memo=head.memo,
        number=first.number,
        file_line=first.line,
    )
    due, totals = invoice_check(biller, draft)
    problems += _draft_problems(draft, table, first.line, [row.line for row in rows])
    if totals is None:
        return None, problems
    return CheckedInvoice(first.line, draft, due, totals, rows=len(rows)), problems


def _draft_problems(draft: InvoiceDraft, table: Table, line: int, item_lines: list[int]) -> list[ImportProblem]:
    """invoice_check's errors, each at the row and column of the file it concerns."""
    problems: list[ImportProblem] = []
    for key, messages in draft.errors.items():
        for message in messages:
            match = LINE_MESSAGE.match(message) if key == "lines" else None
            if match:
                text = match[2][:1].upper() + match[2][1:]
                problems.append(ImportProblem(item_lines[int(match[1]) - 1], table.label("description"), text))
            else:
                problems.append(ImportProblem(line, _draft_field(table, key, message), message))
    return problems


def _draft_field(table: Table, key: str, message: str) -> str:
    if key == "customer":
        return table.label(_customer_column(table))
    if key == "tax_rate":
        # compute_totals' errors land under "tax_rate" unless they mention a line: the total, too.
        return table.label("tax_rate") if "tax rate" in message else "total"
    return table.label(DRAFT_FIELDS[key]) if key in DRAFT_FIELDS else ""


def _write_invoices(biller: Biller, actor: User | None, checked: list[CheckedInvoice], tick: Ticker) -> int:
    drafts = [invoice.draft for invoice in checked]

    def written(batch: Sequence[InvoiceDraft]) -> None:
        tick.step(sum(len(draft.lines) for draft in batch))  # a line per row of the file

    invoices_create(biller=biller, actor=actor, drafts=drafts, imported=True, written=written)
    return sum(len(draft.lines) for draft in drafts)
