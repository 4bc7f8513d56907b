"""What an exported entry says, read back from the file that was really written with Remit's own
reader: a customer reference is never cut (a stable short identifier stands in for a long one), an
05 addenda never cuts an invoice number, and the immediate origin is a routing number when the bank
asks for one."""

from __future__ import annotations

import pytest

from remit.ach.actions import ach_settings_save
from remit.ach.export import ach_export, customer_individual_id
from remit.ach.models import AchSettings
from remit.ach.reader import PaymentAddenda, read_file
from remit.ach.tests.test_export import ach_fields, pay, payer, read
from remit.customers.models import Customer
from remit.test import make_biller, make_invoice

pytestmark = pytest.mark.django_db

LONG_REFERENCE = "ZOE-MULLER-OHARA-LONGREF"


@pytest.fixture
def acme():
    biller, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
    return biller, owner


@pytest.fixture
def export(run_on_commit):
    """ach_export, with what follows its commit run as a committed transaction would."""

    def run(**kwargs):
        with run_on_commit(execute=True):
            return ach_export(**kwargs)

    return run


def entries_of(text):
    ach = read_file(text)
    return [entry for batch in ach.batches for entry in batch.entries]


def test_a_long_customer_reference_goes_as_its_stable_short_identifier_not_cut(acme, export):
    biller, _ = acme
    customer, user, account = payer(biller, "Zoe Muller", personal=True, number="55501234")
    Customer.objects.filter(pk=customer.pk).update(reference=LONG_REFERENCE)  # saved before the rule: still sent
    first = pay(biller, user, account, [make_invoice(customer, amount_cents=1500)])
    [entry] = entries_of(read(export(biller=biller, effective_date=first.pay_on).file))
    assert entry.individual_id == "ZOE-MULLER*QZKY" == customer_individual_id(LONG_REFERENCE, customer.pk)
    assert entry.individual_id != LONG_REFERENCE[:15]
    second = pay(biller, user, account, [make_invoice(customer, amount_cents=2500)], pay_on=first.pay_on)
    [again] = entries_of(read(export(biller=biller, effective_date=second.pay_on).file))
    assert again.individual_id == entry.individual_id  # the same in every file


def test_a_reference_that_fits_goes_as_it_is_and_none_as_the_customer_number(acme, export):
    biller, _ = acme
    short, short_user, short_account = payer(biller, "Jo Smith", personal=True, number="55501234")
    Customer.objects.filter(pk=short.pk).update(reference="acme-0007")
    blank, blank_user, blank_account = payer(biller, "Li Wei", personal=True, number="55509876")
    first = pay(biller, short_user, short_account, [make_invoice(short, amount_cents=1500)])
    pay(biller, blank_user, blank_account, [make_invoice(blank, amount_cents=2500)], pay_on=first.pay_on)
    entries = entries_of(read(export(biller=biller, effective_date=first.pay_on).file))
    assert [entry.individual_id for entry in entries] == ["ACME-0007", f"C{blank.pk}"]


def test_fourteen_invoices_in_one_ccd_addenda_are_whole_numbers_then_how_many_more(acme, export):
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    invoices = [make_invoice(customer, amount_cents=1000 + n, number=f"2026-{n:04d}") for n in range(1, 15)]
    payment = pay(biller, user, account, invoices)
    [entry] = entries_of(read(export(biller=biller, effective_date=payment.pay_on).file))
    [addenda] = entry.addenda
    assert isinstance(addenda, PaymentAddenda)
    assert addenda.information == "INV 2026-0001,2026-0002,2026-0003,2026-0004,2026-0005,2026-0006 +8 MORE"


def test_the_immediate_origin_is_the_routing_number_the_bank_asked_for(acme, export):
    biller, owner = acme
    ach_settings_save(
        biller=biller, actor=owner, fields=ach_fields(immediate_origin="011000015", origin_is_routing=True)
    )
    assert AchSettings.objects.get(biller=biller).immediate_origin == " 011000015"
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    header = read_file(read(export(biller=biller, effective_date=payment.pay_on).file)).header
    assert (header.immediate_destination, header.immediate_origin) == (" 111000025", " 011000015")
