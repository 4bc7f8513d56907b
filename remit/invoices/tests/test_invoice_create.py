import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from remit.billers.actions import biller_update_invoice_settings
from remit.customers.actions import customer_archive
from remit.invoices.actions import InvoiceDraft, InvoiceError, invoice_create, invoice_update, invoices_create
from remit.invoices.models import Invoice, InvoiceEvent
from remit.invoices.totals import Line
from remit.payments.actions import payment_record_offline
from remit.test import make_biller, make_customer, make_invoice

pytestmark = pytest.mark.django_db


def draft(customer, **changes):
    values = {"customer": customer, "issue_date": date(2026, 11, 2), "lines": [Line("Anvil", Decimal(2), 12550)]}
    return InvoiceDraft(**{**values, **changes})


def test_it_numbers_totals_and_records():
    biller, owner = make_biller()
    customer = make_customer(biller)
    invoice = invoice_create(biller=biller, actor=owner, draft=draft(customer, tax_rate=Decimal("10"), terms="net_15"))
    assert invoice.number == "INV-00001"
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (25100, 2510, 27610)
    assert invoice.due_date == date(2026, 11, 17)
    assert [line.amount_cents for line in invoice.lines.all()] == [25100]
    assert InvoiceEvent.objects.get(invoice=invoice).kind == InvoiceEvent.Kind.CREATED
    second = invoice_create(biller=biller, actor=owner, draft=draft(customer))
    assert second.number == "INV-00002"


def test_numbers_are_per_biller_and_use_the_prefix():
    acme, owner = make_biller()
    other, _ = make_biller()
    biller_update_invoice_settings(biller=acme, actor=owner, invoice_prefix="ACME-", default_terms="net_30")
    acme.refresh_from_db()
    assert make_invoice(make_customer(acme)).number == "ACME-00001"
    assert make_invoice(make_customer(other)).number == "INV-00001"


def test_a_failed_creation_gives_its_number_back():
    biller, _ = make_biller()
    customer = make_customer(biller)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_invoice(customer)
        raise RuntimeError("something after the invoice failed")
    assert make_invoice(customer).number == "INV-00001"


def test_numbers_taken_by_hand_are_skipped():
    biller, _ = make_biller()
    customer = make_customer(biller)
    make_invoice(customer, number="INV-00002")
    assert [make_invoice(customer).number for _ in range(2)] == ["INV-00001", "INV-00003"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"terms": "custom", "due_date": date(2026, 11, 1)}, "due_date", "before the issue date"),
        ({"terms": "custom", "due_date": None}, "due_date", "Enter the due date"),
        ({"lines": []}, "lines", "at least one line"),
        ({"lines": [Line("", Decimal(1), 100)]}, "lines", "Line 1: enter a description"),
        ({"tax_rate": Decimal(150)}, "tax_rate", "between 0% and 100%"),
        ({"number": "bad number!"}, "number", "Use up to 40 letters"),
    ],
)
def test_bad_input_is_named_and_nothing_is_saved(changes, field, message):
    biller, _ = make_biller()
    customer = make_customer(biller)
    with pytest.raises(InvoiceError) as error:
        invoice_create(biller=biller, actor=None, draft=draft(customer, **changes))
    assert any(message in m for m in error.value.errors[field])
    assert not Invoice.objects.exists()


def test_duplicate_numbers_are_refused():
    biller, _ = make_biller()
    customer = make_customer(biller)
    make_invoice(customer, number="A-1")
    with pytest.raises(InvoiceError, match="A-1 is already used"):
        make_invoice(customer, number="A-1")


def test_another_billers_customer_or_an_archived_one_is_refused():
    acme, _ = make_biller()
    other, _ = make_biller()
    with pytest.raises(InvoiceError, match="Choose one of your customers"):
        invoice_create(biller=acme, actor=None, draft=draft(make_customer(other)))
    archived = customer_archive(customer=make_customer(acme), actor=None)
    with pytest.raises(InvoiceError, match="is archived"):
        invoice_create(biller=acme, actor=None, draft=draft(archived))


def test_the_database_refuses_an_overpaid_invoice():
    invoice = make_invoice(make_customer(make_biller()[0]), amount_cents=1000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(paid_cents=600, pending_cents=500)


def test_editing_cannot_take_the_total_below_what_is_paid():
    biller, owner = make_biller()
    customer = make_customer(biller)
    invoice = make_invoice(customer, amount_cents=10000)
    payment_record_offline(
        invoice=invoice, actor=owner, amount_cents=6000, method="check", received_on=date(2026, 11, 20)
    )
    with pytest.raises(InvoiceError, match=r"\$60.00 of this invoice is already paid"):
        invoice_update(invoice=invoice, actor=owner, draft=draft(customer, lines=[Line("Less", Decimal(1), 5000)]))
    invoice = invoice_update(
        invoice=invoice, actor=owner, draft=draft(customer, lines=[Line("More", Decimal(1), 7000)])
    )
    assert (invoice.total_cents, invoice.balance_cents) == (7000, 1000)
    assert InvoiceEvent.objects.filter(invoice=invoice, kind=InvoiceEvent.Kind.UPDATED).exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_creation_never_repeats_or_skips_a_number():
    biller, _ = make_biller()
    customer = make_customer(biller)
    workers, per_worker = 8, 6
    errors: list[BaseException] = []

    def create_some() -> None:
        try:
            for _ in range(per_worker):
                make_invoice(customer)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_some) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Invoice.objects.filter(biller=biller).values_list("number", flat=True))
    assert numbers == [f"INV-{n:05d}" for n in range(1, workers * per_worker + 1)]


def test_many_drafts_are_created_in_order_and_numbered_around_their_own_numbers():
    biller, owner = make_biller()
    customer = make_customer(biller)
    drafts = [draft(customer), draft(customer, number="INV-00002"), draft(customer), draft(customer, number="X-1")]
    invoices = invoices_create(biller=biller, actor=owner, drafts=drafts)
    assert [invoice.number for invoice in invoices] == ["INV-00001", "INV-00002", "INV-00003", "X-1"]
    assert [invoice.number for invoice in Invoice.objects.order_by("pk")] == [i.number for i in invoices]
    assert InvoiceEvent.objects.filter(kind=InvoiceEvent.Kind.CREATED).count() == 4
    assert make_invoice(customer).number == "INV-00004"


def test_one_refused_draft_stops_them_all_and_each_keeps_its_errors():
    biller, _ = make_biller()
    customer = make_customer(biller)
    make_invoice(customer, number="A-1")
    good = draft(customer)
    taken = draft(customer, number="A-1")
    twice = [draft(customer, number="B-1"), draft(customer, number="B-1", lines=[])]
    with pytest.raises(InvoiceError) as error:
        invoices_create(biller=biller, actor=None, drafts=[good, taken, *twice])
    assert good.errors == {}
    assert taken.errors == {"number": ["Invoice number A-1 is already used."]}
    assert twice[0].errors == {}
    assert twice[1].errors["number"] == ["Invoice number B-1 is used twice."]
    assert "lines" in twice[1].errors
    assert error.value.errors["number"] == ["Invoice number A-1 is already used.", "Invoice number B-1 is used twice."]
    assert list(Invoice.objects.values_list("number", flat=True)) == ["A-1"]


@pytest.mark.django_db(transaction=True)
def test_the_number_lock_is_not_held_while_the_invoices_are_written():
    """The counter is locked only at the end of the transaction (numbering.py): while the
    invoices, lines and events are written, another creation could take its numbers."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite locks the whole database for a write")
    biller, _ = make_biller()
    customer = make_customer(biller)
    make_invoice(customer)  # the counter row exists
    locked_elsewhere: list[bool] = []

    def try_the_lock_from_another_connection(_: object) -> None:
        def probe() -> None:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT 1 FROM invoices_invoicecounter WHERE biller_id = %s FOR UPDATE NOWAIT", [biller.pk]
                    )
                locked_elsewhere.append(False)
            except OperationalError:
                locked_elsewhere.append(True)
            finally:
                connection.close()

        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()

    invoices_create(biller=biller, actor=None, drafts=[draft(customer)], written=try_the_lock_from_another_connection)
    assert locked_elsewhere == [False]
    assert Invoice.objects.order_by("-pk").values_list("number", flat=True)[0] == "INV-00002"
