"""Receipts through the ACH path: a payment made on the portal, sent in a NACHA file and settled by
``ach_settle`` gets its receipt then (not before); settlement run twice, or by two processes at once,
issues one receipt and one email per payment; a return file after the receipt withdraws it, once."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.utils import timezone

from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.settle import ach_settle
from remit.ach.stored import file_text
from remit.ach.tests.test_export import ach_fields
from remit.ach.tests.test_returns_and_settlement import pay_on_the_portal
from remit.ach.tests.test_returns_and_settlement import world as world  # the fixture
from remit.lib.banking_days import add_banking_days
from remit.notifications.models import OutboundEmail
from remit.payments.models import PaymentStatus, Receipt
from remit.payments.tests.test_receipts import attachments_of, pdf_text
from remit.test import ach_payment_rows, child_env, make_biller, make_customer, make_invoice, parts


def receipts_in(mailbox) -> list:
    return [m for m in mailbox() if m["Subject"].startswith("Receipt R-")]


@pytest.mark.django_db
def test_a_portal_payment_gets_its_receipt_when_it_settles_not_before(world, run_on_commit, mailbox):
    payment = pay_on_the_portal(world)
    with run_on_commit(execute=True):
        ach_export(biller=world["acme"], effective_date=payment.pay_on)
    with run_on_commit(execute=True):
        assert ach_settle(today=add_banking_days(payment.pay_on, 1)) == 0
    assert not Receipt.objects.exists() and not receipts_in(mailbox)  # sent: it can still bounce
    settle_day = add_banking_days(payment.pay_on, 2)
    with run_on_commit(execute=True):
        assert ach_settle(today=settle_day) == 1
        assert ach_settle(today=add_banking_days(payment.pay_on, 5)) == 0
    [message] = receipts_in(mailbox)
    assert message["To"] == world["admin"].email
    text = parts(message)["text/plain"]
    assert "R-000001" in text and "$250.00" in text and "INV-1" in text and "••••6789" in text
    pdf = pdf_text(attachments_of(message)["R-000001.pdf"])
    assert "R-000001" in pdf and "$250.00" in pdf and "INV-1" in pdf and "••••6789" in pdf and "123456789" not in pdf
    assert f"{settle_day:%B} {settle_day.day}, {settle_day.year}" in pdf
    assert Receipt.objects.get().settled_on == settle_day


@pytest.mark.django_db
def test_a_return_file_after_the_receipt_withdraws_it_once(world, run_on_commit, mailbox, tmp_path):
    payment = pay_on_the_portal(world)
    with run_on_commit(execute=True):
        result = ach_export(biller=world["acme"], effective_date=payment.pay_on)
        ach_settle(today=add_banking_days(payment.pay_on, 2))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED and result.file is not None
    outbound = file_text(result.file)
    path = tmp_path / "late-return.ach"  # R10 may come up to 60 days after settlement
    path.write_text(returns_for(outbound, today=timezone.localdate(), returns={payment.ach_entry.trace_number: "R10"}))
    with run_on_commit(execute=True):
        call_command("ach", "import-returns", str(path))
        call_command("ach", "import-returns", str(path))  # the same file again: imported before
    receipt = Receipt.objects.get()
    assert receipt.is_withdrawn and receipt.withdrawn_code == "R10"
    [notice] = [m for m in mailbox() if "is withdrawn" in m["Subject"]]
    assert notice["To"] == world["admin"].email
    assert "R10" in parts(notice)["text/plain"] and "INV-1" in parts(notice)["text/plain"]


SETTLE_COUNT = 40


def settle_process(today: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "remit", "ach", "settle", "--today", today],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_two_settlements_at_once_issue_one_receipt_and_one_email_per_payment():
    acme, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=acme, actor=owner, fields=ach_fields())
    customer = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    pay_on = add_banking_days(timezone.localdate(), -10)
    payments = [
        ach_payment_rows(
            customer, [(make_invoice(customer, amount_cents=1000 + n), 1000 + n)], pay_on=pay_on, status="sent"
        )
        for n in range(SETTLE_COUNT)
    ]
    today = timezone.localdate().isoformat()
    processes = [settle_process(today) for _ in range(2)]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        outputs.append(out)
    settled = sorted(int(out.split()[1]) for out in outputs)  # "Settled N payment(s)."
    assert sum(settled) == SETTLE_COUNT, outputs
    assert Receipt.objects.count() == SETTLE_COUNT
    assert set(Receipt.objects.values_list("payment_id", flat=True)) == {p.pk for p in payments}
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == [f"R-{n:06d}" for n in range(1, SETTLE_COUNT + 1)]  # no gaps, no repeats
    assert OutboundEmail.objects.filter(subject__startswith="Receipt R-").count() == SETTLE_COUNT
