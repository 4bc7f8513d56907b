"""Account validation in the files: micro-entries and prenotes in the biller's next file (read back
from the file really written), payments from an account not yet validated kept out until it is, and
the bank's answers on validation entries (a return blocks the account, a NOC corrects it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.models import AchEntry, ValidationEntry
from remit.ach.returns import ach_import_returns
from remit.ach.stored import file_text
from remit.ach.tests.nacha_parser import check_file
from remit.ach.tests.test_export import ach_fields, payer
from remit.customers.models import CustomerMembership
from remit.payments.actions import payment_schedule
from remit.payments.models import (
    AccountValidation,
    BankAccount,
    BankAccountStatus,
    PaymentStatus,
    ValidationStatus,
)
from remit.payments.validation import validation_choose, validation_verify
from remit.test import make_biller, make_invoice, parts

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=NY)  # before the 4 pm cut-off: the next file is Tuesday's
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (date(2026, 12, d) for d in (8, 9, 10, 11))


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def at(clock, day: date, hour: int = 10) -> None:
    clock.move_to(datetime(day.year, day.month, day.day, hour, 0, tzinfo=NY))


def biller_with(method: str, *, offsetting_debit: bool = False):
    biller, owner = make_biller("Acme Supply Co.", validation=method)
    if offsetting_debit:
        validation_choose(biller=biller, actor=owner, method=method, offsetting_debit=True)
    ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
    return biller


def run_export(run_on_commit, biller, day):
    with run_on_commit(execute=True):
        return ach_export(biller=biller, effective_date=day)


def records_of(result):
    return check_file(file_text(result.file))


def batches_of(records):
    """[(batch header, its entries)] of a parsed file."""
    found, current = [], None
    for record in records:
        if record["kind"] == "batch_header":
            current = (record, [])
            found.append(current)
        elif record["kind"] == "entry" and current is not None:
            current[1].append(record)
    return found


def pay(user, account, customer, cents, run_on_commit, pay_on=TUESDAY):
    with run_on_commit(execute=True):
        return payment_schedule(
            payer=user,
            invoice_ids=[make_invoice(customer, amount_cents=cents).pk],
            bank_account_id=account.pk,
            pay_on=pay_on,
            total_cents=cents,
        )


def test_micro_entries_go_in_the_next_file_and_the_debit_only_after_the_customer_verifies(
    clock, run_on_commit, mailbox
):
    biller = biller_with("micro_entries")
    customer, user, account = payer(biller, "Jo Smith", personal=True, number="55501234")
    payment = pay(user, account, customer, 4500, run_on_commit)
    # Asked for Tuesday; the account can't be debited before the file after the micro-entries'.
    assert payment.pay_on == WEDNESDAY
    moved = [m for m in mailbox() if "now goes out on" in m["Subject"]]
    assert len(moved) == 1 and "waits for the account's verification" in parts(moved[0])["text/plain"]

    first = run_export(run_on_commit, biller, TUESDAY)
    assert first.payments == 0 and first.file is not None
    [(header, entries)] = batches_of(records_of(first))
    assert header["entry_description"].strip() == "ACCTVERIFY" and header["company_name"].strip() == "ACME SUPPLY CO"
    assert (header["sec_code"], header["service_class"]) == ("WEB", "220")
    assert [e["transaction_code"] for e in entries] == ["22", "22"]
    assert all(0 < int(e["amount"]) < 100 and e["account_number"].strip() == "55501234" for e in entries)
    assert sorted(ValidationEntry.objects.values_list("trace_number", flat=True)) == sorted(e["trace"] for e in entries)
    validation = AccountValidation.objects.get(bank_account=account)
    assert (validation.sent_on, validation.expires_on) == (TUESDAY, TUESDAY + timedelta(days=10))

    at(clock, TUESDAY)
    amounts = [f"0.{int(e['amount']):02d}" for e in entries]
    membership = CustomerMembership.objects.get(user=user)
    outcome = validation_verify(
        membership=membership, bank_account_id=account.pk, amount_1=amounts[1], amount_2=amounts[0]
    )
    assert outcome.verified
    account.refresh_from_db()
    assert account.debits_from == WEDNESDAY
    second = run_export(run_on_commit, biller, WEDNESDAY)
    assert second.payments == 1
    [(header, [entry])] = batches_of(records_of(second))
    assert header["entry_description"].strip() == "INVOICE" and entry["transaction_code"] == "27"
    assert AchEntry.objects.get(payment=payment).trace_number == entry["trace"]


def test_an_offsetting_debit_of_their_sum_goes_with_the_credits_in_a_mixed_business_batch(clock, run_on_commit):
    biller = biller_with("micro_entries", offsetting_debit=True)
    payer(biller, "Globex Corporation", personal=False, number="123456789", account_type="savings")
    result = run_export(run_on_commit, biller, TUESDAY)
    [(header, entries)] = batches_of(records_of(result))
    assert (header["sec_code"], header["service_class"], header["entry_description"].strip()) == (
        "CCD",
        "200",
        "ACCTVERIFY",
    )
    codes = [e["transaction_code"] for e in entries]
    amounts = [int(e["amount"]) for e in entries]
    assert codes == ["32", "32", "37"] and amounts[2] == amounts[0] + amounts[1]
    assert result.file.total_credit_cents == result.file.total_debit_cents == amounts[2]


def test_a_balanced_file_always_carries_the_offsetting_debit_and_stays_balanced(clock, run_on_commit):
    biller, owner = make_biller("Acme Supply Co.", validation="")  # micro-entries, no offsetting debit chosen
    fields = ach_fields(balanced=True, settlement_routing="011000015", settlement_account="44455566")
    ach_settings_save(biller=biller, actor=owner, fields=fields)
    payer(biller, "Jo Smith", personal=True, number="55501234")  # added under micro-entries
    validation_choose(biller=biller, actor=owner, method="service", statement="Our bank validates them.")
    other_customer, other, validated = payer(biller, "Globex Corporation", personal=False, number="123456789")
    pay(other, validated, other_customer, 2500, run_on_commit)
    result = run_export(run_on_commit, biller, TUESDAY)
    records = records_of(result)
    micro = [e for h, entries in batches_of(records) for e in entries if h["entry_description"].strip() == "ACCTVERIFY"]
    assert [e["transaction_code"] for e in micro] == ["22", "22", "27"]
    assert result.file.total_debit_cents == result.file.total_credit_cents
    assert result.payments == 1
    # The offset comes back: still recognised as this file's offset, the micro-entries around it.
    [offset] = [e for _, entries in batches_of(records) for e in entries if e["individual_id"].strip() == "OFFSET"]
    text = file_text(result.file)
    answer = returns_for(text, returns={offset["trace"]: "R03"}, today=WEDNESDAY)
    assert ach_import_returns(text=answer, filename="offset.ach", biller=biller).offset_returns == 1


def test_micro_entries_go_once_and_a_payment_of_an_unverified_account_never_goes(clock, run_on_commit):
    biller = biller_with("micro_entries")
    customer, user, account = payer(biller, "Jo Smith", personal=True, number="55501234")
    payment = pay(user, account, customer, 4500, run_on_commit)
    run_export(run_on_commit, biller, TUESDAY)
    at(clock, TUESDAY)
    assert run_export(run_on_commit, biller, WEDNESDAY).file is None  # not verified: nothing to send
    at(clock, THURSDAY)  # Wednesday passed unsent; it waits, unmoved and untold, for the verification
    assert run_export(run_on_commit, biller, FRIDAY).file is None
    payment.refresh_from_db()
    assert (payment.status, payment.pay_on) == (PaymentStatus.SCHEDULED, WEDNESDAY)
    assert ValidationEntry.objects.count() == 2


def test_a_prenote_goes_first_and_debits_follow_from_the_third_banking_day_after_it(clock, run_on_commit, mailbox):
    biller = biller_with("prenote")
    customer, user, account = payer(biller, "Jo Smith", personal=True, number="55501234", account_type="savings")
    payment = pay(user, account, customer, 4500, run_on_commit)
    third = date(2026, 12, 11)  # Tuesday's prenote settles Tuesday: Wed, Thu, Fri
    assert payment.pay_on == third
    result = run_export(run_on_commit, biller, TUESDAY)
    [(header, [entry])] = batches_of(records_of(result))
    assert (header["service_class"], header["entry_description"].strip()) == ("225", "INVOICE")
    assert (entry["transaction_code"], int(entry["amount"]), entry["discretionary"]) == ("38", 0, "S ")
    account.refresh_from_db()
    assert account.debits_from == third
    for day in (WEDNESDAY, THURSDAY):
        at(clock, day - timedelta(days=1))
        assert run_export(run_on_commit, biller, day).file is None
    at(clock, THURSDAY)
    assert run_export(run_on_commit, biller, third).payments == 1


def test_a_returned_prenote_blocks_the_account_and_cancels_its_payments(clock, run_on_commit, mailbox):
    biller = biller_with("prenote")
    customer, user, account = payer(biller, "Jo Smith", personal=True, number="55501234")
    payment = pay(user, account, customer, 4500, run_on_commit)
    result = run_export(run_on_commit, biller, TUESDAY)
    trace = ValidationEntry.objects.get().trace_number
    text = returns_for(file_text(result.file), returns={trace: "R03"}, today=WEDNESDAY)
    with run_on_commit(execute=True):
        imported = ach_import_returns(text=text, filename="returns.ach", biller=biller)
    assert (imported.validation_answers, imported.blocked_accounts, imported.not_ours) == (1, 1, 0)
    account.refresh_from_db()
    payment.refresh_from_db()
    assert account.status == BankAccountStatus.BLOCKED and account.debits_from is None
    assert AccountValidation.objects.get(bank_account=account).status == ValidationStatus.FAILED
    assert payment.status == PaymentStatus.CANCELLED
    [told] = [m for m in mailbox() if "could not be verified" in m["Subject"]]
    body = parts(told)["text/plain"]
    assert told["To"] == user.email and "R03" in body and "the 1 scheduled payment from it was cancelled" in body
    again = ach_import_returns(text=text, filename="returns.ach", biller=biller)
    assert again.already_imported


def test_a_notification_of_change_on_a_prenote_corrects_the_account_which_stays_validated(clock, run_on_commit):
    biller = biller_with("prenote")
    payer(biller, "Jo Smith", personal=True, number="55501234")
    result = run_export(run_on_commit, biller, TUESDAY)
    trace = ValidationEntry.objects.get().trace_number
    text = returns_for(
        file_text(result.file),
        returns={},
        corrections={trace: ("C01", "99887766")},
        today=WEDNESDAY,
    )
    imported = ach_import_returns(text=text, filename="noc.ach", biller=biller)
    assert imported.validation_answers == 1
    account = BankAccount.objects.get()
    assert account.account_last4 == "7766" and account.status == BankAccountStatus.ACTIVE
    assert account.debits_from == date(2026, 12, 11)
    assert ValidationEntry.objects.get().answer_code == "C01"


def test_returned_micro_entries_block_the_account_once(clock, run_on_commit):
    biller = biller_with("micro_entries")
    payer(biller, "Jo Smith", personal=True, number="55501234")
    result = run_export(run_on_commit, biller, TUESDAY)
    both = {entry.trace_number: "R02" for entry in ValidationEntry.objects.all()}
    text = returns_for(file_text(result.file), returns=both, today=WEDNESDAY)
    imported = ach_import_returns(text=text, filename="returns.ach", biller=biller)
    assert (imported.validation_answers, imported.blocked_accounts) == (2, 1)
    assert sorted(ValidationEntry.objects.values_list("answer_code", flat=True)) == ["R02", "R02"]
    assert BankAccount.objects.get().status == BankAccountStatus.BLOCKED


def test_a_stated_validation_sends_the_first_debit_in_the_next_file(clock, run_on_commit):
    biller = biller_with("service")
    customer, user, account = payer(biller, "Jo Smith", personal=True, number="55501234")
    payment = pay(user, account, customer, 4500, run_on_commit)
    assert payment.pay_on == TUESDAY
    result = run_export(run_on_commit, biller, TUESDAY)
    assert result.payments == 1 and not ValidationEntry.objects.exists()
