"""Whose is an entry of a return file: its original trace must be one the biller sent, its batch's
company identification one the biller has used (now or before), a return's amount the one sent. The
rest is "not ours": listed, left alone, never a reason to refuse the file. Without a biller (the
command line) each biller's answers are found by the same rules."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.models import AchReturn, ForeignEntry, InboundFile
from remit.ach.returns import ach_import_returns
from remit.ach.stored import file_text
from remit.ach.tests.corpus import CORPUS, TODAY, TRACES, assemble, build_world, edit, with_field
from remit.ach.tests.test_export import ach_fields
from remit.payments.models import Payment, PaymentStatus
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice, soonest_pay_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(run_on_commit):
    return build_world(run_on_commit)


def second_biller(run_on_commit, company_id):
    """Another biller at the same bank: its first payment has Acme's first trace number too."""
    globex, owner = make_biller("Globex Supply")
    ach_settings_save(
        biller=globex, actor=owner, fields=ach_fields(company_id=company_id, company_name="GLOBEX SUPPLY")
    )
    customer = make_customer(globex, "Hooli")
    invoice = make_invoice(customer, amount_cents=25000)
    payment = ach_payment_rows(customer, [(invoice, 25000)], pay_on=soonest_pay_on(globex))
    with run_on_commit(execute=True):
        record = ach_export(biller=globex, effective_date=payment.pay_on).file
    assert record is not None and payment.ach_entry.trace_number == TRACES["P1"]
    return globex, payment, file_text(record)


def one_file(*texts):
    """The batches of several return files in one file (renumbered), as a bank serving both sends it."""
    batches, number = [], 0
    for text in texts:
        records = text.splitlines()
        for i, record in enumerate(records):
            if record[0] == "5":
                number += 1
                end = next(j for j in range(i, len(records)) if records[j][0] == "8")
                batches.append((with_field(record, 88, 94, f"{number:07d}"), records[i + 1 : end]))
    return assemble(texts[0].splitlines()[0], batches)


def test_the_command_line_finds_each_billers_returns_by_their_company_id(world, run_on_commit, tmp_path, capsys):
    globex, theirs, outbound = second_biller(run_on_commit, company_id="2222222222")
    text = one_file(
        returns_for(world.outbound, returns={TRACES["P1"]: "R01"}, today=TODAY),
        returns_for(outbound, returns={TRACES["P1"]: "R03"}, today=TODAY),
    )
    path = tmp_path / "both.ach"
    path.write_text(text)
    call_command("ach", "import-returns", str(path))
    assert "2 return(s)" in capsys.readouterr().out
    assert Payment.objects.get(pk=world.payments["P1"].pk).status == PaymentStatus.RETURNED
    assert Payment.objects.get(pk=theirs.pk).status == PaymentStatus.RETURNED
    assert dict(AchReturn.objects.values_list("entry__biller__slug", "code")) == {
        world.acme.slug: "R01",
        globex.slug: "R03",
    }
    assert InboundFile.objects.get().biller is None


def test_two_billers_with_the_same_trace_and_company_id_need_a_person(world, run_on_commit, tmp_path):
    _, theirs, _ = second_biller(run_on_commit, company_id="1234567890")
    path = tmp_path / "r01.ach"
    path.write_text((CORPUS / "r01-plain.ach").read_text())
    with pytest.raises(CommandError, match=f"line 3: two billers sent the trace number {TRACES['P1']}; import"):
        call_command("ach", "import-returns", str(path))
    assert not InboundFile.objects.exists()
    # From a biller's console (or with --biller) it is that biller's.
    ach_import_returns(text=path.read_text(), filename="r01.ach", biller=world.acme)
    assert Payment.objects.get(pk=theirs.pk).status == PaymentStatus.SENT
    assert Payment.objects.get(pk=world.payments["P1"].pk).status == PaymentStatus.RETURNED


def test_a_company_id_the_biller_used_before_is_still_its_own(world):
    ach_settings_save(biller=world.acme, actor=world.owner, fields=ach_fields(company_id="1999999999"))
    result = ach_import_returns(text=(CORPUS / "r01-plain.ach").read_text(), filename="r01.ach", biller=world.acme)
    assert (result.returned, result.not_ours) == (1, 0)


def test_a_return_of_another_amount_is_not_ours(world):
    text = edit((CORPUS / "r01-plain.ach").read_text(), "6", lambda r: with_field(r, 30, 39, "0000024999"))
    text = edit(text, "8", lambda r: with_field(r, 21, 32, "000000024999"))
    text = edit(text, "9", lambda r: r if r.startswith("99") else with_field(r, 32, 43, "000000024999"))
    result = ach_import_returns(text=text, filename="r01.ach", biller=world.acme)
    assert (result.returned, result.not_ours) == (0, 1)
    assert ForeignEntry.objects.get().reason == (
        f"the trace number {TRACES['P1']} is yours, but its amount $249.99 is not the $250.00 you sent"
    )
    assert Payment.objects.get(pk=world.payments["P1"].pk).status == PaymentStatus.SENT


def test_a_file_of_only_entries_that_are_not_ours_is_imported_and_changes_nothing(world):
    text = (CORPUS / "not-ours-same-trace-other-company.ach").read_text()
    result = ach_import_returns(text=text, filename="theirs.ach", biller=world.acme)
    assert (result.returned, result.not_ours) == (0, 1)
    row = ForeignEntry.objects.get()
    assert (row.batch_number, row.company_name, row.company_id, row.sec_code) == (
        1,
        "NEIGHBOUR INC",
        "5550001234",
        "CCD",
    )
    assert (row.trace_number, row.original_trace, row.code, row.amount_cents) == (
        "011000010000001",
        TRACES["P4"],
        "R01",
        8000,
    )
    assert ach_import_returns(text=text, filename="again.ach", biller=world.acme).already_imported


@pytest.mark.parametrize(
    ("first", "last", "value", "why"),
    [
        (30, 39, "0000049400", "its amount is no batch's of the file"),
        (7, 21, "111000020000009", "its trace is past the file's entries and offset"),
    ],
)
def test_a_credit_return_that_is_not_our_offset_is_not_ours(world, first, last, value, why):
    text = (CORPUS / "offset-r03.ach").read_text()
    kind = "6" if first == 30 else "799"
    text = edit(text, kind, lambda r: with_field(r, first, last, value))
    if kind == "6":  # the controls follow the amount
        text = edit(text, "8", lambda r: with_field(r, 33, 44, "000000049400"))
        text = edit(text, "9", lambda r: r if r.startswith("99") else with_field(r, 44, 55, "000000049400"))
    result = ach_import_returns(text=text, filename="credit.ach", biller=world.acme)
    assert (result.offset_returns, result.not_ours) == (0, 1), why
    assert ForeignEntry.objects.get().reason.startswith("no payment of yours has the trace number")
