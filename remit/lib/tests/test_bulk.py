"""``insert_rows`` writes exactly the rows it is given, in one statement on PostgreSQL and within the
database's limit on parameters elsewhere; ``batches`` covers every item once; ``require_ids`` refuses
rows a bulk INSERT returned without ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from remit.ach.models import AchEntry, AchFile
from remit.lib.bulk import batches, insert_rows, require_ids
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice

pytestmark = pytest.mark.django_db

FIELDS = ("file", "payment", "biller", "batch_number", "sec_code", "trace_number", "amount_cents")


def test_it_writes_every_row_as_given_within_the_parameter_limit(monkeypatch):
    biller, _ = make_biller("Acme Supply Co.")
    customer = make_customer(biller, "Globex Corporation")
    payments = [
        ach_payment_rows(customer, [(make_invoice(customer, amount_cents=100 + n), 100 + n)], pay_on=date(2026, 12, 4))
        for n in range(5)
    ]
    now = timezone.now()
    file = AchFile.objects.create(
        biller=biller, filename="f.ach", effective_date=date(2026, 12, 4), created_at=now, created_on=now.date(),
        file_id_modifier="A", sha256="", size_bytes=0, entry_count=0, batch_count=0, total_debit_cents=0,
        total_credit_cents=0,
    )  # fmt: skip
    rows = [(file.pk, p.pk, biller.pk, 1, "CCD", f"11100002{n:07d}", p.amount_cents) for n, p in enumerate(payments)]
    monkeypatch.setattr(connection.features, "max_query_params", 2 * len(FIELDS))  # two rows a statement
    with CaptureQueriesContext(connection) as queries:
        insert_rows(AchEntry, FIELDS, rows)
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)
    written = AchEntry.objects.order_by("trace_number").values_list(
        "file_id", "payment_id", "biller_id", "batch_number", "sec_code", "trace_number", "amount_cents"
    )
    assert list(written) == rows


def test_no_rows_no_statement():
    with CaptureQueriesContext(connection) as queries:
        insert_rows(AchEntry, FIELDS, [])
    assert len(queries) == 0


def test_batches_cover_every_item_once_in_order():
    assert [list(batch) for batch in batches([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]


@dataclass
class Row:
    pk: int | None


def test_rows_without_the_ids_the_database_should_have_returned_are_refused():
    require_ids([Row(1), Row(2)])
    with pytest.raises(RuntimeError, match="did not return the ids"):
        require_ids([Row(1), Row(None)])


def test_dates_decimals_and_json_are_written_as_save_would_write_them():
    from decimal import Decimal

    from remit.invoices.models import InvoiceEvent, InvoiceLine

    invoice = make_invoice(make_customer(make_biller("Acme Supply Co.")[0], "Globex Corporation"))
    moment = timezone.now().replace(microsecond=123456)
    insert_rows(InvoiceLine, ("invoice", "position", "description", "quantity", "unit_price_cents", "amount_cents"),
                [(invoice.pk, 9, "Crate", Decimal("2.125"), 400, 850)])  # fmt: skip
    insert_rows(InvoiceEvent, ("invoice", "actor", "api_key", "kind", "data", "created_at"),
                [(invoice.pk, None, None, "edited", {"total_cents": 850, "note": "“quoted”"}, moment)])  # fmt: skip
    line = InvoiceLine.objects.get(invoice=invoice, position=9)
    assert line.quantity == Decimal("2.125") and line.amount_cents == 850
    event = InvoiceEvent.objects.get(invoice=invoice, kind="edited")
    assert event.data == {"total_cents": 850, "note": "“quoted”"} and event.created_at == moment
