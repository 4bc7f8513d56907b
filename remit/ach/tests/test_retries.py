"""Retries of R01/R09 returns, end to end through the real return import: a payment → the NACHA file →
the bank's return file → ``ach_import_returns`` → the retry (its own payment, linked to the original,
same amount, account and allocations) → the next file's RETRY PYMT batch → returned again → the second
retry → never a third. And every stop: R08, a revoked authorization, a skip, a newer payment, 180 days."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.retry_links import retry_from_token, skip_token
from remit.ach.retry_policy import retry_policy_save
from remit.ach.retrying import retry_skip
from remit.ach.returns import ach_import_returns
from remit.ach.stored import file_text
from remit.ach.tests.nacha_parser import check_file
from remit.ach.tests.test_export import ach_fields
from remit.invoices.models import Invoice
from remit.lib.banking_days import add_banking_days
from remit.payments.actions import payment_schedule
from remit.payments.bank_accounts import bank_account_retire
from remit.payments.models import BankAccountStatus, Payment, PaymentEvent, PaymentStatus
from remit.test import find_link, make_bank_account, make_biller, make_customer, make_invoice, make_portal_user, parts

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 2, 9, 0, tzinfo=NY)  # a Monday morning, before the 16:00 cut-off


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=NY)


@pytest.fixture
def world():
    return retry_world()


def retry_world():
    """Acme (ACH settings, retries twice after 3 banking days), Globex with an admin, a bank account
    and a $250.00 invoice, all made on Monday, March 2, 2026."""
    with time_machine.travel(START, tick=False):
        acme, owner = make_biller("Acme Supply Co.")
        ach_settings_save(biller=acme, actor=owner, fields=ach_fields())
        retry_policy_save(biller=acme, actor=owner, retries=2, timing="days", days=3)
        customer = make_customer(acme, "Globex Corporation", email="ap@globex.example")
        admin = make_portal_user(customer)
        account = make_bank_account(admin, number="123456789")
        invoice = make_invoice(customer, amount_cents=25000, number="INV-1")
    return {"acme": acme, "owner": owner, "customer": customer, "admin": admin, "account": account, "invoice": invoice}


def pay(world, *, on: date = date(2026, 3, 3)) -> Payment:
    with time_machine.travel(START, tick=False):
        return payment_schedule(
            payer=world["admin"],
            invoice_ids=[world["invoice"].pk],
            bank_account_id=world["account"].pk,
            pay_on=on,
            total_cents=25000,
        )


def send(world, run_on_commit, payment: Payment) -> str:
    """Export the file of the payment's Pay On (the banking day before it, in the morning)."""
    payment.refresh_from_db()
    before = add_banking_days(payment.pay_on, -1)
    with time_machine.travel(at(before), tick=False), run_on_commit(execute=True):
        result = ach_export(biller=world["acme"], effective_date=payment.pay_on)
    assert result.file is not None
    return file_text(result.file)


def bank_returns(world, run_on_commit, payment, code, *, on=None):
    """The bank returns ``payment`` with ``code``; the file is imported on ``on`` (default: two
    banking days after its Pay On). Returns the retry the import scheduled, if any."""
    payment.refresh_from_db()
    if payment.status == PaymentStatus.SCHEDULED:
        send(world, run_on_commit, payment)
        payment.refresh_from_db()
    outbound = file_text(payment.ach_entry.file)
    day = on or add_banking_days(payment.pay_on, 2)
    text = returns_for(outbound, returns={payment.ach_entry.trace_number: code}, today=day)
    with time_machine.travel(at(day), tick=False), run_on_commit(execute=True):
        ach_import_returns(text=text, filename=f"returns-{payment.pk}.ach", biller=world["acme"])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RETURNED
    original = payment.retry_of_id or payment.pk
    return Payment.objects.filter(retry_of_id=original, status=PaymentStatus.SCHEDULED).first()


def last_note(payment: Payment) -> str:
    return PaymentEvent.objects.filter(payment=payment).latest("created_at", "id").note


def test_an_r01_is_retried_twice_in_retry_pymt_batches_and_never_a_third_time(world, run_on_commit, mailbox):
    original = pay(world)
    first = bank_returns(world, run_on_commit, original, "R01")
    assert first is not None
    # Its own payment, linked to the original: same amount, same account, same allocations.
    assert (first.retry_of_id, first.amount_cents, first.bank_account_id) == (original.pk, 25000, world["account"].pk)
    assert list(first.allocations.values_list("invoice_id", "amount_cents")) == [(world["invoice"].pk, 25000)]
    # Imported Thu Mar 5 (two banking days after Tue Mar 3): three banking days later is Tue Mar 10.
    assert first.pay_on == date(2026, 3, 10)
    assert Invoice.objects.get(pk=world["invoice"].pk).pending_cents == 25000
    assert "Retry scheduled for Mar 10, 2026" in last_note(original)
    # The customer is told in the return's email, with the skip link.
    [email] = [m for m in mailbox() if "was returned by your bank" in m["Subject"]]
    text = parts(email)["text/plain"]
    assert "We'll try again on Tuesday, March 10, 2026" in text
    link = find_link(text, "/retry-skip/")
    with time_machine.travel(at(date(2026, 3, 6)), tick=False):
        assert retry_from_token(link.rstrip("/").rsplit("/", 1)[-1], biller_id=world["acme"].pk) == first
    [digest] = [m for m in mailbox() if m["Subject"] == "1 payment returned ($250.00)"]
    assert "R01 Insufficient funds; retry on Mar 10, 2026" in parts(digest)["text/plain"]
    # The retry goes in a batch of its own, described RETRY PYMT, same company name and ID.
    outbound = send(world, run_on_commit, first)
    headers = [r for r in check_file(outbound) if r["kind"] == "batch_header"]
    assert [(h["entry_description"], h["company_name"].strip(), h["company_id"]) for h in headers] == [
        ("RETRY PYMT", "ACME SUPPLY CO", "1234567890")
    ]
    entries = [r for r in check_file(outbound) if r["kind"] == "entry"]
    assert [int(e["amount"]) for e in entries] == [25000]
    # Returned again (R09): the second retry, still linked to the original.
    second = bank_returns(world, run_on_commit, first, "R09")
    assert second is not None
    assert second.retry_of_id == original.pk
    assert "Retry 2 of payment" in PaymentEvent.objects.filter(payment=second).earliest("created_at", "id").note
    # Returned a third time: no third retry.
    assert bank_returns(world, run_on_commit, second, "R01") is None
    assert Payment.objects.filter(retry_of=original).count() == 2
    assert last_note(second) == "Not retried: Already retried 2 times."


def test_the_command_and_the_console_say_how_many_retries_were_scheduled(world, run_on_commit, tmp_path, capsys):
    from django.core.management import call_command

    original = pay(world)
    outbound = send(world, run_on_commit, original)
    original.refresh_from_db()
    path = tmp_path / "returns.ach"
    path.write_text(returns_for(outbound, returns={original.ach_entry.trace_number: "R09"}, today=date(2026, 3, 5)))
    with time_machine.travel(at(date(2026, 3, 5)), tick=False):
        call_command("ach", "import-returns", str(path))
    assert "1 retry(ies) scheduled" in capsys.readouterr().out
    # The console's upload says it too (another payment, another file).
    second = make_invoice(world["customer"], amount_cents=5000, number="INV-2")
    with time_machine.travel(START, tick=False):
        payment = payment_schedule(
            payer=world["admin"], invoice_ids=[second.pk], bank_account_id=world["account"].pk,
            pay_on=date(2026, 3, 4), total_cents=5000,
        )  # fmt: skip
    outbound = send(world, run_on_commit, payment)
    payment.refresh_from_db()
    text = returns_for(outbound, returns={payment.ach_entry.trace_number: "R01"}, today=date(2026, 3, 6))
    client = Client()
    client.force_login(world["owner"])
    with time_machine.travel(at(date(2026, 3, 6)), tick=False):
        response = client.post(
            "/console/acme-supply/ach/returns/upload/",
            {"file": SimpleUploadedFile("r2.ach", text.encode("ascii"))},
            follow=True,
        )
    assert "1 payment returned" in response.content.decode() and "1 retry scheduled" in response.content.decode()


def test_a_policy_of_one_retry_makes_one(world, run_on_commit):
    retry_policy_save(biller=world["acme"], actor=world["owner"], retries=1, timing="days", days=3)
    first = bank_returns(world, run_on_commit, pay(world), "R01")
    assert first is not None
    assert bank_returns(world, run_on_commit, first, "R01") is None


def test_no_retry_when_retries_are_off(world, run_on_commit, mailbox):
    retry_policy_save(biller=world["acme"], actor=world["owner"], retries=0, timing="days", days=3)
    original = pay(world)
    assert bank_returns(world, run_on_commit, original, "R01") is None
    assert not Payment.objects.filter(retry_of=original).exists()
    [email] = [m for m in mailbox() if "was returned by your bank" in m["Subject"]]
    assert "try again" not in parts(email)["text/plain"]


def test_the_next_1st_or_15th(world, run_on_commit):
    retry_policy_save(biller=world["acme"], actor=world["owner"], retries=2, timing="semimonthly", days=3)
    first = bank_returns(world, run_on_commit, pay(world), "R01")
    assert first is not None
    assert first.pay_on == date(2026, 3, 16)  # the 15th is a Sunday


@pytest.mark.parametrize("code", ["R02", "R03", "R08", "R10", "R16"])
def test_other_codes_are_never_retried(world, run_on_commit, code):
    original = pay(world)
    assert bank_returns(world, run_on_commit, original, code) is None
    assert not Payment.objects.filter(retry_of=original).exists()


def test_never_after_an_r08_on_the_chain(world, run_on_commit):
    first = bank_returns(world, run_on_commit, pay(world), "R01")
    assert bank_returns(world, run_on_commit, first, "R08") is None  # a stop payment: the chain ends
    assert Payment.objects.filter(retry_of=first.retry_of_id).count() == 1


def test_never_after_the_authorization_was_revoked(world, run_on_commit):
    original = pay(world)
    send(world, run_on_commit, original)
    bank_account_retire(
        world["account"], actor=world["admin"], reason="Removed", status=BankAccountStatus.REMOVED, strict=False
    )
    assert bank_returns(world, run_on_commit, original, "R01") is None
    assert "authorization ended" in last_note(original)


def test_a_removed_account_cancels_the_retry_and_ends_the_chain(world, run_on_commit):
    first = bank_returns(world, run_on_commit, pay(world), "R01")
    bank_account_retire(
        world["account"], actor=world["admin"], reason="Removed", status=BankAccountStatus.REMOVED, strict=False
    )
    first.refresh_from_db()
    assert first.status == PaymentStatus.CANCELLED


def test_a_skipped_retry_is_cancelled_recorded_and_the_chain_never_retried_again(world, run_on_commit):
    original = pay(world)
    first = bank_returns(world, run_on_commit, original, "R01")
    retry_skip(payment=first, actor=None)
    first.refresh_from_db()
    assert first.status == PaymentStatus.CANCELLED
    assert last_note(first) == "Retry skipped from the link in the email"
    assert Invoice.objects.get(pk=world["invoice"].pk).pending_cents == 0
    assert retry_from_token(skip_token(first), biller_id=world["acme"].pk) == first
    assert retry_from_token(skip_token(original), biller_id=world["acme"].pk) is None  # not a retry
    assert retry_from_token(skip_token(first) + "x", biller_id=world["acme"].pk) is None
    # A later R01 on the chain (the bank answering late about the original) makes no retry.
    from remit.ach.retry_rules import Chain, Facts, Policy, decide

    chain = Chain(original_effective=date(2026, 3, 3), codes=("R01",), retries=1, cancelled=True)
    facts = Facts(code="R01", chain=chain, account_usable=True, covered=False)
    assert decide(Policy(retries=2), facts, returned_on=date(2026, 3, 20), earliest=date(2026, 3, 23)).retry_on is None


def test_no_retry_when_a_newer_payment_already_covers_the_invoice(world, run_on_commit):
    """The return reopened the invoice and the customer paid it again before any retry was planned:
    planning now (retries turned on since) makes none, and says why."""
    from django.db import transaction

    from remit.ach.retrying import plan_retries

    retry_policy_save(biller=world["acme"], actor=world["owner"], retries=0, timing="days", days=3)
    original = pay(world)
    assert bank_returns(world, run_on_commit, original, "R01") is None
    with time_machine.travel(at(date(2026, 3, 5)), tick=False):
        newer = payment_schedule(
            payer=world["admin"],
            invoice_ids=[world["invoice"].pk],
            bank_account_id=world["account"].pk,
            pay_on=date(2026, 3, 9),
            total_cents=25000,
        )
        retry_policy_save(biller=world["acme"], actor=world["owner"], retries=2, timing="days", days=3)
        with transaction.atomic():
            assert plan_retries([(Payment.objects.get(pk=original.pk), "R01")]) == {}
    assert newer.status == PaymentStatus.SCHEDULED
    assert not Payment.objects.filter(retry_of=original).exists()
    assert last_note(original) == "Not retried: Another payment already covers the invoices."


def test_no_retry_past_180_days_of_the_original(world, run_on_commit):
    original = pay(world)
    late = date(2026, 8, 28)  # 178 days after Mar 3: three banking days later is past 180
    assert bank_returns(world, run_on_commit, original, "R01", on=late) is None
    assert "180 days" in last_note(original)
