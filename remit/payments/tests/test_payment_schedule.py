import subprocess
import sys
import time
from datetime import timedelta
from typing import NamedTuple

import pytest

from remit.invoices.models import Invoice
from remit.lib.banking_days import next_banking_day
from remit.payments.actions import PaymentError, payment_cancel, payment_schedule
from remit.payments.models import Allocation, BankAccount, Payment, PaymentEvent, PaymentStatus
from remit.test import child_env, make_invoice, parts, soonest_pay_on

pytestmark = pytest.mark.django_db


class Bills(NamedTuple):
    account: BankAccount  # Globex's shared account, added by its admin
    older: Invoice  # $300.00, issued 40 days ago
    newer: Invoice  # $500.00, issued 5 days ago


@pytest.fixture
def bills(world):
    """Globex's shared bank account and two open invoices, $300.00 and $500.00: $800.00 to pay."""
    today = world.biller.created_at.date()
    return Bills(
        account=world.bank_account(number="123456789"),
        older=world.invoice(amount_cents=30000, issue_date=today - timedelta(days=40)),
        newer=world.invoice(amount_cents=50000, issue_date=today - timedelta(days=5)),
    )


def schedule(world, bills, **changes):
    values = {
        "payer": world.admin,
        "invoice_ids": [bills.older.pk, bills.newer.pk],
        "bank_account_id": bills.account.pk,
        "pay_on": soonest_pay_on(world.biller),
        "total_cents": 80000,
        "idempotency_key": None,
    }
    return payment_schedule(**{**values, **changes})


def test_a_payment_is_scheduled_split_oldest_first_and_confirmed_by_email(world, bills, run_on_commit, mailbox):
    with run_on_commit(execute=True):
        payment = schedule(world, bills, total_cents=40000)
    assert (payment.status, payment.amount_cents, payment.method) == (PaymentStatus.SCHEDULED, 40000, "ach")
    assert list(payment.allocations.order_by("invoice__due_date").values_list("invoice_id", "amount_cents")) == [
        (bills.older.pk, 30000),
        (bills.newer.pk, 10000),
    ]
    older, newer = (Invoice.objects.get(pk=invoice.pk) for invoice in (bills.older, bills.newer))
    assert (older.pending_cents, older.available_cents, newer.available_cents) == (30000, 0, 40000)
    assert PaymentEvent.objects.get(payment=payment).to_status == PaymentStatus.SCHEDULED
    payer_mail, biller_mail = mailbox()
    assert payer_mail["To"] == "ap@globex.example"
    text = parts(payer_mail)["text/plain"]
    assert "$400.00" in text and "••••6789" in text and bills.older.number in text
    assert f"{payment.pay_on:%B}" in text
    assert "123456789" not in payer_mail.as_string() and "123456789" not in biller_mail.as_string()
    assert biller_mail["Subject"].startswith("Globex Corporation scheduled $400.00")


def test_the_same_idempotency_key_never_makes_a_second_payment(world, bills):
    first = schedule(world, bills, total_cents=1000, idempotency_key="k-1")
    again = schedule(world, bills, total_cents=1000, idempotency_key="k-1")
    assert first.pk == again.pk
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"total_cents": 80001}, "total", "can't be more than $800.00"),
        ({"total_cents": 0}, "total", "more than $0.00"),
        ({"total_cents": -5}, "total", "more than $0.00"),
        ({"invoice_ids": []}, "invoices", "Select at least one invoice"),
    ],
)
def test_refusals_name_the_field_and_save_nothing(world, bills, changes, field, message):
    with pytest.raises(PaymentError, match=message.replace("$", r"\$")) as error:
        schedule(world, bills, **changes)
    assert error.value.field == field
    assert not Payment.objects.exists()
    assert not Invoice.objects.filter(pending_cents__gt=0).exists()


def test_pay_on_must_be_a_banking_day_not_too_soon(world, bills):
    soonest = soonest_pay_on(world.biller)
    saturday = soonest + timedelta(days=(5 - soonest.weekday()) % 7)
    for bad, words in [(saturday, "not a banking day"), (soonest - timedelta(days=30), "in the past")]:
        with pytest.raises(PaymentError, match=words) as error:
            schedule(world, bills, pay_on=bad)
        assert error.value.field == "pay_on"
    assert schedule(world, bills, pay_on=next_banking_day(soonest)).pay_on == next_banking_day(soonest)


def test_another_customers_invoice_cannot_be_smuggled_in(world, bills):
    foreign = make_invoice(world.other_customer, amount_cents=1000)
    with pytest.raises(PaymentError, match="not yours to pay") as error:
        schedule(world, bills, invoice_ids=[bills.older.pk, foreign.pk], total_cents=1000)
    assert error.value.field == "invoices"
    assert not Payment.objects.exists()


def test_a_colleagues_private_account_cannot_be_used(world, bills):
    private = world.bank_account(world.member, private=True)
    with pytest.raises(PaymentError, match="Choose a bank account you may pay from") as error:
        schedule(world, bills, bank_account_id=private.pk)
    assert error.value.field == "bank_account"
    own = schedule(world, bills, payer=world.member, bank_account_id=private.pk, total_cents=100)
    assert own.bank_account == private


def test_what_is_scheduled_is_no_longer_available_until_cancelled(world, bills):
    payment = schedule(world, bills)
    with pytest.raises(PaymentError, match="already paid or scheduled"):
        schedule(world, bills, total_cents=1)
    payment_cancel(payment=payment, actor=world.admin, reason="Changed my mind")
    assert Invoice.objects.get(pk=bills.older.pk).available_cents == 30000
    assert schedule(world, bills, total_cents=80000).amount_cents == 80000
    with pytest.raises(PaymentError, match="only a scheduled payment can be cancelled"):
        payment_cancel(payment=payment, actor=None, reason="again")


PAYER_SCRIPT = """
import sys, time
from datetime import date
from pathlib import Path
from remit.payments.actions import PaymentError, payment_schedule
from remit.users.models import User

payer_id, invoice_ids, account_id, pay_on, go = sys.argv[1:6]
payer = User.objects.get(pk=int(payer_id))
while not Path(go).exists():
    time.sleep(0.005)
try:
    payment = payment_schedule(
        payer=payer, invoice_ids=[int(i) for i in invoice_ids.split(",")], bank_account_id=int(account_id),
        pay_on=date.fromisoformat(pay_on), total_cents=80000,
    )
    print(f"paid {payment.pk}")
except PaymentError as error:
    print(f"refused: {error}")
"""


@pytest.mark.django_db(transaction=True)
def test_colleagues_paying_the_same_invoices_at_the_same_moment_never_overpay(world, bills, tmp_path):
    """Six payers at once, each a separate `remit` process with its own database connection, all
    released at the same instant."""
    payers = [world.admin.pk, world.member.pk] * 3
    script, go = tmp_path / "pay.py", tmp_path / "go"
    script.write_text(PAYER_SCRIPT)
    invoices = f"{bills.older.pk},{bills.newer.pk}"
    pay_on = soonest_pay_on(world.biller).isoformat()
    env, account = child_env(), bills.account.pk
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "remit",
                "shell",
                "-c",
                f"import sys; sys.argv = {['pay', str(payer), invoices, str(account), pay_on, str(go)]!r}; "
                f"exec(open({str(script)!r}).read())",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for payer in payers
    ]
    time.sleep(3)  # let every process start and load Django
    go.touch()
    outputs = [process.communicate(timeout=120) for process in processes]
    results = [out.strip().splitlines()[-1] if out.strip() else f"crashed: {err[-500:]}" for out, err in outputs]
    assert sum(r.startswith("paid") for r in results) == 1, results
    assert all("already paid or scheduled" in r for r in results if r.startswith("refused")), results
    assert Payment.objects.count() == 1
    assert sum(Allocation.objects.values_list("amount_cents", flat=True)) == 80000
    for invoice in Invoice.objects.all():
        assert invoice.paid_cents + invoice.pending_cents <= invoice.total_cents
