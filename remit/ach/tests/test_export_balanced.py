"""A balanced file: the debits in debits-only batches (WEB for personal accounts, CCD for business
ones) and the offset credit to the biller's settlement account in a CCD credits-only batch of its own,
never inside a WEB batch. Read back from the file that was really written, with Remit's own reader and
the tests' independent parser, and answered by the bank simulator."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from remit.ach import nacha
from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import EntryStream, ach_export
from remit.ach.models import AchEntry, AchSettings
from remit.ach.nacha import MAX_AMOUNT_CENTS, write_file
from remit.ach.reader import read_file
from remit.ach.tests.nacha_parser import check_file
from remit.ach.tests.test_export import ach_fields, pay, payer, read
from remit.customers.models import Customer
from remit.lib import crypto
from remit.test import make_biller, make_invoice

pytestmark = pytest.mark.django_db

SETTLEMENT = "99887766"


@pytest.fixture
def balanced_acme():
    biller, owner = make_biller("Acme Supply Co.")
    fields = ach_fields(balanced=True, settlement_routing="011000015", settlement_account=SETTLEMENT)
    ach_settings_save(biller=biller, actor=owner, fields=fields)
    return biller, owner


@pytest.fixture
def export(run_on_commit):
    def run(**kwargs):
        with run_on_commit(execute=True):
            return ach_export(**kwargs)

    return run


def test_the_offset_credit_is_in_a_ccd_credits_only_batch_of_its_own(balanced_acme, export):
    biller, _ = balanced_acme
    _, jo, jo_account = payer(biller, "Jo Smith", personal=True, number="55501234", account_type="savings")
    globex, ap, globex_account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    jo_payment = pay(biller, jo, jo_account, [make_invoice(Customer.objects.get(name="Jo Smith"), amount_cents=4500)])
    pay(biller, ap, globex_account, [make_invoice(globex, amount_cents=4321)], pay_on=jo_payment.pay_on)
    result = export(biller=biller, effective_date=jo_payment.pay_on)
    text = read(result.file)
    check_file(text)  # the independent parser: every count, hash and total
    ach = read_file(text)
    assert [(b.header.sec_code, b.header.service_class, b.header.batch_number) for b in ach.batches] == [
        ("WEB", 225, 1),
        ("CCD", 225, 2),
        ("CCD", 220, 3),
    ]
    web, ccd, offset_batch = ach.batches
    assert all(entry.is_debit for entry in (*web.entries, *ccd.entries))
    [offset] = offset_batch.entries
    assert (offset.transaction_code, offset.amount_cents, offset.account_number) == (22, 8821, SETTLEMENT)
    assert (offset.routing_number, offset.individual_id, offset.addenda) == ("011000015", "OFFSET", ())
    assert offset.trace_number > ccd.entries[-1].trace_number  # the file's last trace
    assert offset_batch.header.company_id == web.header.company_id == "1234567890"
    assert offset_batch.header.effective_date == web.header.effective_date
    assert ach.control.total_debit_cents == ach.control.total_credit_cents == 8821
    file = result.file
    assert (file.entry_count, file.batch_count) == (2, 3)  # payments; every batch, the offset's too
    assert (file.total_debit_cents, file.total_credit_cents) == (8821, 8821)
    assert not AchEntry.objects.filter(trace_number=offset.trace_number).exists()  # the offset is no payment's


def test_a_balanced_file_of_one_web_payment_has_no_credit_in_its_web_batch(balanced_acme, export):
    biller, _ = balanced_acme
    customer, user, account = payer(biller, "Jo Smith", personal=True, number="55501234")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1234)])
    ach = read_file(read(export(biller=biller, effective_date=payment.pay_on).file))
    web, offset_batch = ach.batches
    assert (web.header.sec_code, web.control.total_credit_cents) == ("WEB", 0)
    assert (offset_batch.header.sec_code, offset_batch.control.total_credit_cents) == ("CCD", 1234)


def test_the_bank_can_return_the_offset_from_its_own_batch(balanced_acme, export):
    biller, _ = balanced_acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=5000)])
    text = read(export(biller=biller, effective_date=payment.pay_on).file)
    offset = read_file(text).batches[-1].entries[0]
    answer = read_file(returns_for(text, returns={offset.trace_number: "R02"}, today=payment.pay_on))
    [batch] = answer.batches
    assert (batch.header.sec_code, batch.header.service_class) == ("CCD", 220)
    returned = batch.entries[0].return_addenda
    assert returned is not None and returned.original_trace == offset.trace_number


def test_an_offset_beyond_what_one_entry_carries_is_split_into_entries_that_do():
    """The debits of one file may add up to more than $99,999,999.99; each offset entry carries at most that."""
    ach = AchSettings(
        odfi_routing="111000025",
        company_name="ACME SUPPLY CO",
        company_id="1234567890",
        entry_description="INVOICE",
        balanced=True,
        settlement_routing="011000015",
        settlement_account_encrypted=crypto.encrypt(SETTLEMENT),
        settlement_account_type="savings",
        next_trace=41,
    )
    stream = EntryStream(ach, date(2026, 3, 3), None, {"WEB": 0, "CCD": 0}, book=lambda *page: None)
    stream.total_cents = 2 * MAX_AMOUNT_CENTS + 5
    out = io.StringIO()
    header = nacha.FileHeader("111000025", "1234567890", "FIRST DEMO BANK", "ACME", datetime(2026, 3, 2, 16, 0), "A")
    write_file(out, header, [(stream._header("CCD", 220, 1), stream._offsets())])
    [batch] = read_file(out.getvalue()).batches
    assert [(e.transaction_code, e.amount_cents) for e in batch.entries] == [
        (32, MAX_AMOUNT_CENTS),
        (32, MAX_AMOUNT_CENTS),
        (32, 5),
    ]
    assert [e.trace_number[-7:] for e in batch.entries] == ["0000041", "0000042", "0000043"]
    assert batch.control.total_credit_cents == stream.total_cents
