"""Import customers and invoices from a CSV file: all of it or — if any row is wrong — none of it.

Every row is checked first, by the rules the console's forms use (``check_customer_fields``,
``invoice_check``), and every problem is collected with its line in the file, so the biller can fix
the whole file at once. Only a file without problems is written: customers in one transaction with
``bulk_create`` in batches, invoices by ``invoices_create`` (the console's and the API's write path,
which inserts in batches too).
Reading the file (encoding, size, header, line numbers) is ``remit/lib/csv_table.py``.

Progress: ``progress(done, total)`` counts each data row twice — once when it is checked and once
when it is written — so ``total`` is twice the number of rows and a bar fills evenly without going
back. ``progress_phase`` turns the pair into words for a command line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.customers.models import Customer, CustomerEvent
from remit.customers.rules import CustomerFields, check_customer_fields, parse_emails
from remit.invoices.actions import InvoiceDraft, InvoiceError, invoice_check, invoices_create
from remit.invoices.models import Invoice
from remit.invoices.totals import Line, Totals, TotalsError, due_date_for
from remit.lib.csv_table import Column, FileProblem, ImportProblem, Layout, Row, Table, normalize, read_table, read_text
from remit.lib.money import MoneyError, parse_cents, parse_decimal
from remit.lib.terms import TERMS_DAYS, TERMS_LABELS
from remit.users.models import User

MAX_PROBLEMS = 1_000
BATCH = 1_000  # rows per INSERT and per IN (…) lookup: far below every database's parameter limit
PROGRESS_EVERY = 500
MAX_QUANTITY = Decimal("999999999.999")  # InvoiceLine.quantity holds 12 digits, 3 of them decimals

CHANGED_MEANWHILE = (
    "Someone saved {what} with the same {key} as a row of this file while it was being imported. "
    "Nothing was imported; import the file again to see which row it is."
)
SAME_INVOICE = "customer, issue date, due date or terms, tax rate and memo"

Progress = Callable[[int, int], None]
T = TypeVar("T")


# --- Results ---------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    customers_created: int = 0
    invoices_created: int = 0
    lines_created: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    more_problems: int = 0  # found beyond MAX_PROBLEMS: counted, not listed
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more_problems

    def summary(self) -> str:
        if not self.ok:
            return f"Nothing was imported: the file has {_count(self.problem_count, 'problem')}."
        if self.invoices_created:
            text = f"Imported {_count(self.invoices_created, 'invoice')} with {_count(self.lines_created, 'line')}."
        else:
            text = f"Imported {_count(self.customers_created, 'customer')}."
        if self.ignored_columns:
            text += (
                " Columns Remit doesn't use were ignored: " + ", ".join(f"“{c}”" for c in self.ignored_columns) + "."
            )
        return text


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _failed(problems: list[ImportProblem]) -> ImportResult:
    problems = sorted(problems, key=lambda problem: problem.line)  # stable: a row's problems stay in order
    return ImportResult(problems=problems[:MAX_PROBLEMS], more_problems=max(len(problems) - MAX_PROBLEMS, 0))


def progress_phase(done: int, total: int) -> tuple[str, int, int]:
    """(what is happening, rows done in that phase, rows in the file), for a progress bar's words."""
    rows = total // 2
    return ("checking", done, rows) if done <= rows and done < total else ("importing", done - rows, rows)


@dataclass
class _Ticker:
    """Counts steps; calls ``progress`` at the start, every PROGRESS_EVERY steps and at the end."""

    callback: Progress | None
    total: int
    done: int = 0
    reported: int = -1

    def step(self, count: int = 1) -> None:
        self.done += count
        if self.done in (0, self.total) or self.done - self.reported >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        """Report where we are now (at the end of a phase)."""
        if self.callback is not None and self.done != self.reported:
            self.reported = self.done
            self.callback(self.done, self.total)


# --- The columns of each kind of file ------------------------------------------------------------


CUSTOMERS = Layout(
    "customers",
    (
        Column("name", "name", ("name", "customer name", "customer", "company", "company name"), required=True),
        Column(
            "reference",
            "reference",
            ("reference", "customer reference", "customer ref", "customer id", "account number", "account no"),
        ),
        Column(
            "billing_emails",
            "email",
            ("email", "emails", "email address", "billing email", "billing emails", "billing email address"),
            required=True,  # the customer rules need at least one address to send invoices to
        ),
        Column("address_line1", "address", ("address", "address line 1", "address 1", "street", "street address")),
        Column("address_line2", "address line 2", ("address line 2", "address 2")),
        Column("city", "city", ("city", "town")),
        Column("state", "state", ("state", "province", "region")),
        Column("postal_code", "zip", ("zip", "zip code", "postal code", "postcode")),
        Column("country", "country", ("country", "country code")),
    ),
)

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


# --- Writing in batches ---------------------------------------------------------------------------


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _require_ids(rows: Sequence[models.Model]) -> None:
    # PostgreSQL and SQLite ≥ 3.35 return the new ids from a bulk INSERT; the lines and events need them.
    if any(row.pk is None for row in rows):
        raise RuntimeError("The database did not return the ids of the imported rows.")


# --- Customers -------------------------------------------------------------------------------------


def import_customers(
    *, biller: Biller, actor: User | None, file: bytes | IO[bytes], progress: Progress | None = None
) -> ImportResult:
    try:
        table = read_table(read_text(file), CUSTOMERS)
    except FileProblem as error:
        return _failed(error.problems)
    tick = _Ticker(progress, total=2 * len(table.rows))
    tick.step(0)
    checked, problems = _check_customers(biller, table, tick)
    tick.flush()
    if problems:
        return _failed(problems)
    try:
        _write_customers(biller, actor, checked, tick)
    except IntegrityError:
        return _failed([ImportProblem(0, "", CHANGED_MEANWHILE.format(what="a customer", key="reference"))])
    return ImportResult(customers_created=len(checked), ignored_columns=table.ignored)


def _check_customers(
    biller: Biller, table: Table, tick: _Ticker
) -> tuple[list[tuple[int, CustomerFields]], list[ImportProblem]]:
    # The rule of customers/actions.py's reference_taken (any customer of the biller, archived too,
    # case-insensitive), read once as a set rather than once per row.
    existing = Customer.objects.filter(biller=biller).exclude(reference="").values_list("reference", flat=True)
    taken = {reference.lower() for reference in existing}
    seen: dict[str, int] = {}
    checked: list[tuple[int, CustomerFields]] = []
    problems: list[ImportProblem] = []
    for row in table.rows:
        fields, row_problems = _customer_fields(row, table)
        problems += row_problems
        reference = fields.reference.lower()
        if reference and not any(problem.field == table.label("reference") for problem in row_problems):
            if reference in taken:
                message = f"Another customer already has the reference “{fields.reference}”."
                problems.append(ImportProblem(row.line, table.label("reference"), message))
            elif reference in seen:
                message = (
                    f"Line {seen[reference]} has the same reference “{fields.reference}”; each customer needs its own."
                )
                problems.append(ImportProblem(row.line, table.label("reference"), message))
            seen.setdefault(reference, row.line)
        checked.append((row.line, fields))
        tick.step()
    return checked, problems


def _customer_fields(row: Row, table: Table) -> tuple[CustomerFields, list[ImportProblem]]:
    emails, invalid = parse_emails(row.get("billing_emails"))
    fields = CustomerFields(
        name=row.get("name"),
        billing_emails=emails,
        reference=row.get("reference"),
        address_line1=row.get("address_line1"),
        address_line2=row.get("address_line2"),
        city=row.get("city"),
        state=row.get("state"),
        postal_code=row.get("postal_code"),
        country=row.get("country") or "US",
    )
    errors = check_customer_fields(fields)
    email_label = table.label("billing_emails")
    problems = [ImportProblem(row.line, email_label, f"“{bad}” is not an email address.") for bad in invalid]
    for name, messages in errors.errors.items():
        if name == "billing_emails" and invalid and not emails:
            continue  # "enter at least one address" would only repeat the problem above
        problems += [ImportProblem(row.line, table.label(name), message) for message in messages]
    # The rules leave these lengths to the form's fields; a file has no form, so check them here.
    for name in ("address_line1", "address_line2", "city", "state", "postal_code"):
        limit = _max_length(Customer, name)
        if len(getattr(fields, name)) > limit:
            message = f"The {CUSTOMERS.column(name).label} is longer than {limit} characters."
            problems.append(ImportProblem(row.line, table.label(name), message))
    return fields, problems


def _max_length(model: type[models.Model], name: str) -> int:
    column = model._meta.get_field(name)
    assert isinstance(column, models.CharField)
    assert column.max_length is not None
    return column.max_length


def _write_customers(
    biller: Biller, actor: User | None, checked: list[tuple[int, CustomerFields]], tick: _Ticker
) -> None:
    now = timezone.now()
    with transaction.atomic():
        for batch in _batches(checked, BATCH):
            customers = [Customer(biller=biller, created_at=now, **asdict(fields)) for _, fields in batch]
            Customer.objects.bulk_create(customers)
            _require_ids(customers)
            CustomerEvent.objects.bulk_create(
                CustomerEvent(
                    customer=customer,
                    actor=actor,
                    kind=CustomerEvent.Kind.IMPORTED,
                    data={"line": line},
                    created_at=now,
                )
                for customer, (line, _) in zip(customers, batch, strict=True)
            )
            tick.step(len(batch))


# --- Invoices: one row ------------------------------------------------------------------------------

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


# --- Invoices: the file ----------------------------------------------------------------------------

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
        return _failed(error.problems)
    tick = _Ticker(progress, total=2 * len(table.rows))
    tick.step(0)
    checked, problems = _check_invoices(biller, table, tick)
    tick.flush()
    if problems:
        return _failed(problems)
    try:
        lines = _write_invoices(biller, actor, checked, tick)
    except (IntegrityError, InvoiceError):  # a number the check found free was taken since
        return _failed([ImportProblem(0, "", CHANGED_MEANWHILE.format(what="an invoice", key="number"))])
    return ImportResult(invoices_created=len(checked), lines_created=lines, ignored_columns=table.ignored)


def _check_invoices(biller: Biller, table: Table, tick: _Ticker) -> tuple[list[CheckedInvoice], list[ImportProblem]]:
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
    taken = _numbers_taken(biller, [key for key in groups if not key.startswith("\0")])
    checked: list[CheckedInvoice] = []
    for rows in groups.values():
        invoice, group_problems = _check_group(biller, table, rows, taken)
        problems += group_problems
        if invoice is not None:
            checked.append(invoice)
    return checked, problems


def _numbers_taken(biller: Biller, numbers: list[str]) -> set[str]:
    taken: set[str] = set()
    for batch in _batches(numbers, BATCH):
        taken.update(Invoice.objects.filter(biller=biller, number__in=batch).values_list("number", flat=True))
    return taken


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


def _write_invoices(biller: Biller, actor: User | None, checked: list[CheckedInvoice], tick: _Ticker) -> int:
    drafts = [invoice.draft for invoice in checked]

    def written(batch: Sequence[InvoiceDraft]) -> None:
        tick.step(sum(len(draft.lines) for draft in batch))  # a line per row of the file

    invoices_create(biller=biller, actor=actor, drafts=drafts, imported=True, written=written)
    return sum(len(draft.lines) for draft in drafts)
