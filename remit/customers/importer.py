"""Import customers from a CSV file: all of it or — if any row is wrong — none of it.

Every row is checked first, by the rules the console's form uses (``check_customer_fields``), and
every problem is collected with its line in the file, so the biller can fix the whole file at once.
Only a file without problems is written: in one transaction, with ``bulk_create`` in batches, each
customer with an "imported" event. What both imports share (the result, progress, batches) is
``remit/lib/csv_import.py``; reading the file is ``remit/lib/csv_table.py``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import IO

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.customers.models import Customer, CustomerEvent
from remit.customers.rules import CustomerFields, check_customer_fields, parse_emails
from remit.lib.bulk import batches, require_ids
from remit.lib.csv_import import BATCH, CHANGED_MEANWHILE, ImportResult, Progress, Ticker, failed
from remit.lib.csv_table import Column, FileProblem, ImportProblem, Layout, Row, Table, read_table, read_text
from remit.users.models import User

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


def import_customers(
    *, biller: Biller, actor: User | None, file: bytes | IO[bytes], progress: Progress | None = None
) -> ImportResult:
    try:
        table = read_table(read_text(file), CUSTOMERS)
    except FileProblem as error:
        return failed(error.problems)
    tick = Ticker(progress, total=2 * len(table.rows))
    tick.step(0)
    checked, problems = _check_customers(biller, table, tick)
    tick.flush()
    if problems:
        return failed(problems)
    try:
        _write_customers(biller, actor, checked, tick)
    except IntegrityError:
        return failed([ImportProblem(0, "", CHANGED_MEANWHILE.format(what="a customer", key="reference"))])
    return ImportResult(customers_created=len(checked), ignored_columns=table.ignored)


def _check_customers(
    biller: Biller, table: Table, tick: Ticker
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
    biller: Biller, actor: User | None, checked: list[tuple[int, CustomerFields]], tick: Ticker
) -> None:
    now = timezone.now()
    with transaction.atomic():
        for batch in batches(checked, BATCH):
            customers = [Customer(biller=biller, created_at=now, **asdict(fields)) for _, fields in batch]
            Customer.objects.bulk_create(customers)
            require_ids(customers)
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
