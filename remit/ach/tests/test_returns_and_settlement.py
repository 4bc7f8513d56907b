"""End to end: a payment made on the portal's page → the NACHA file → the bank simulator's return
file → `remit ach import-returns` → the invoice is open again and everyone is told. And settlement."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.models import AchCorrection, AchReturn, InboundFile
from remit.ach.settle import ach_settle
from remit.ach.stored import file_text
from remit.ach.tests.test_export import ach_fields
from remit.autopay.models import AutoPay
from remit.autopay.settings import autopay_save
from remit.invoices.models import Invoice
from remit.lib import crypto
from remit.lib.banking_days import add_banking_days
from remit.payments.models import BankAccount, BankAccountStatus, Payment, PaymentStatus
from remit.test import (
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    parts,
    portal_login,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(run_on_commit):
    acme, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=acme, actor=owner, fields=ach_fields())
    customer = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    admin = make_portal_user(customer)
    account = make_bank_account(admin, number="123456789")
    invoice = make_invoice(customer, amount_cents=25000, number="INV-1")
    client = Client()
    portal_login(client, admin)
    return {
        "acme": acme,
        "customer": customer,
        "admin": admin,
        "account": account,
        "invoice": invoice,
        "client": client,
    }


def pay_on_the_portal(world):
    response = world["client"].post(
        "/acme-supply/pay-bills/",
        {
            "invoices": [world["invoice"].pk],
            "bank_account": world["account"].pk,
            "pay_on": soonest_pay_on(world["acme"]).isoformat(),
            "total": "250.00",
            "idempotency_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Payment.objects.get(customer=world["customer"])


def export_and_return(world, run_on_commit, tmp_path, **bank_says):
    payment = pay_on_the_portal(world)
    with run_on_commit(execute=True):
        result = ach_export(biller=world["acme"], effective_date=payment.pay_on)
    assert result.file is not None
    outbound = file_text(result.file)
    trace = payment.ach_entry.trace_number
    returned = returns_for(
        outbound,
        today=timezone.localdate(),
        returns={trace: bank_says["returns"]} if "returns" in bank_says else {},
        corrections={trace: bank_says["corrections"]} if "corrections" in bank_says else None,
    )
    path = tmp_path / "returns.ach"
    path.write_text(returned)
    return payment, path


def test_r01_reopens_the_invoice_and_tells_customer_and_biller_and_the_account_stays_usable(
    world, run_on_commit, mailbox, tmp_path, capsys
):
    payment, path = export_and_return(world, run_on_commit, tmp_path, returns="R01")
    invoice = Invoice.objects.get(pk=world["invoice"].pk)
    assert invoice.available_cents == 0  # sent: on its way
    with run_on_commit(execute=True):
        call_command("ach", "import-returns", str(path))
    assert "1 return(s)" in capsys.readouterr().out
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == PaymentStatus.RETURNED
    assert (invoice.pending_cents, invoice.available_cents) == (0, 25000)
    assert AchReturn.objects.get().code == "R01" and "Insufficient funds" in AchReturn.objects.get().meaning
    assert BankAccount.objects.get().status == BankAccountStatus.ACTIVE
    customer_mail = [m for m in mailbox() if "was returned by your bank" in m["Subject"]]
    biller_mail = [m for m in mailbox() if m["Subject"] == "1 payment returned ($250.00)"]
    assert len(customer_mail) == 1 and "R01: Insufficient funds" in parts(customer_mail[0])["text/plain"]
    assert "INV-1" in parts(customer_mail[0])["text/plain"] and "123456789" not in parts(customer_mail[0])["text/plain"]
    assert len(biller_mail) == 1
    # The customer can pay again.
    again = world["client"].get("/acme-supply/pay-bills/").content.decode()
    assert "INV-1" in again
    # The same file again changes nothing.
    before = len(mailbox())
    call_command("ach", "import-returns", str(path))
    assert "imported before" in capsys.readouterr().out
    assert AchReturn.objects.count() == 1 and InboundFile.objects.count() == 1 and len(mailbox()) == before


def test_r02_blocks_the_account_and_turns_auto_pay_off(world, run_on_commit, mailbox, tmp_path):
    payment, path = export_and_return(world, run_on_commit, tmp_path, returns="R02")
    autopay_save(
        customer=world["customer"], actor=world["admin"], enabled=True, max_cents=100000,
        bank_account_id=world["account"].pk, days=0, when="before",
    )  # fmt: skip
    with run_on_commit(execute=True):
        call_command("ach", "import-returns", str(path))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RETURNED
    assert BankAccount.objects.get().status == BankAccountStatus.BLOCKED
    assert not AutoPay.objects.get().enabled
    assert AchReturn.objects.get().account_blocked
    text = parts(next(m for m in mailbox() if "was returned by your bank" in m["Subject"]))["text/plain"]
    assert "can't be used for payments any more" in text and "Auto Pay used this account and is now off" in text
    # Nobody can pay from it again.
    page = world["client"].get("/acme-supply/pay-bills/").content.decode()
    assert "INV-1" in page and world["account"].masked_number not in page


def test_a_notification_of_change_updates_the_account_and_is_recorded(world, run_on_commit, tmp_path):
    payment, path = export_and_return(world, run_on_commit, tmp_path, corrections=("C01", "987654321"))
    call_command("ach", "import-returns", str(path))
    account = BankAccount.objects.get()
    assert crypto.decrypt(account.account_number_encrypted) == "987654321"
    assert account.account_last4 == "4321"
    correction = AchCorrection.objects.get()
    assert correction.code == "C01" and "••••4321" in correction.summary and "987654321" not in correction.summary
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SENT  # a NOC doesn't return the money


def test_a_malformed_file_is_refused_whole_with_its_line(world, run_on_commit, tmp_path):
    payment, path = export_and_return(world, run_on_commit, tmp_path, returns="R01")
    lines = path.read_text().split("\n")
    lines[2] = lines[2][:50]  # a truncated entry
    path.write_text("\n".join(lines))
    with pytest.raises(CommandError, match=r"line 3: .*Nothing was imported"):
        call_command("ach", "import-returns", str(path))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SENT and not InboundFile.objects.exists()


def test_a_return_for_a_payment_remit_never_sent_is_listed_as_not_ours(world, run_on_commit, tmp_path, capsys):
    payment, path = export_and_return(world, run_on_commit, tmp_path, returns="R01")
    text = path.read_text().replace("111000020000001", "111000029999999")
    path.write_text(text)
    call_command("ach", "import-returns", str(path))
    out = capsys.readouterr().out
    assert "0 return(s)" in out and "1 entry(ies) not ours, left alone:" in out
    assert "no payment of yours has the trace number 111000029999999" in out
    assert not AchReturn.objects.exists()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SENT


def test_unreturned_payments_settle_after_the_settlement_days_and_the_invoice_is_paid(world, run_on_commit):
    payment = pay_on_the_portal(world)
    with run_on_commit(execute=True):
        ach_export(biller=world["acme"], effective_date=payment.pay_on)
    assert ach_settle(today=add_banking_days(payment.pay_on, 1)) == 0
    assert ach_settle(today=add_banking_days(payment.pay_on, 2)) == 1
    assert ach_settle(today=add_banking_days(payment.pay_on, 5)) == 0  # once
    payment.refresh_from_db()
    invoice = Invoice.objects.get(pk=world["invoice"].pk)
    assert payment.status == PaymentStatus.SETTLED
    assert (invoice.paid_cents, invoice.balance_cents) == (25000, 0)
    assert invoice.status == "paid"


@pytest.mark.parametrize(
    ("code", "data", "routing", "number", "kind"),
    [
        ("C02", "011000015", "011000015", "123456789", "checking"),
        ("C03", "011000015   55554444", "011000015", "55554444", "checking"),
        ("C05", "37", "111000025", "123456789", "savings"),
        ("C06", "66667777            37", "111000025", "66667777", "savings"),
    ],
)
def test_each_change_code_updates_what_it_says(world, run_on_commit, tmp_path, code, data, routing, number, kind):
    BankAccount.objects.filter(pk=world["account"].pk).update(routing_number="111000025")
    _, path = export_and_return(world, run_on_commit, tmp_path, corrections=(code, data))
    call_command("ach", "import-returns", str(path))
    account = BankAccount.objects.get()
    assert (account.routing_number, crypto.decrypt(account.account_number_encrypted), account.account_type) == (
        routing,
        number,
        kind,
    )
    assert AchCorrection.objects.get().code == code
