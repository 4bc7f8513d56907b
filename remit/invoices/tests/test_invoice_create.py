import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from remit.billers.actions import biller_update_invoice_settings
from remit.customers.actions import customer_archive
from remit.invoices.actions import InvoiceDraft, InvoiceError, invoice_create, invoice_update
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
