import subprocess
import sys
import time
from datetime import timedelta

import pytest

from remit.invoices.models import Invoice
from remit.lib.banking_days import next_banking_day
from remit.payments.actions import PaymentError, payment_cancel, payment_schedule
from remit.payments.models import Allocation, Payment, PaymentEvent, PaymentStatus
from remit.test import (
    child_env,
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    parts,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex():
    acme, _ = make_biller("Acme Supply Co.")
    customer = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    admin = make_portal_user(customer)
    account = make_bank_account(admin, number="123456789")
    today = acme.created_at.date()
    older = make_invoice(customer, amount_cents=30000, issue_date=today - timedelta(days=40))
    newer = make_invoice(customer, amount_cents=50000, issue_date=today - timedelta(days=5))
    return {"acme": acme, "customer": customer, "admin": admin, "account": account, "older": older, "newer": newer}


def schedule(world, **changes):
    values = {
        "payer": world["admin"],
        "invoice_ids": [world["older"].pk, world["newer"].pk],
        "bank_account_id": world["account"].pk,
        "pay_on": soonest_pay_on(world["acme"]),
        "total_cents": 80000,
        "idempotency_key": None,
    }
    return payment_schedule(**{**values, **changes})


def test_a_payment_is_scheduled_split_oldest_first_and_confirmed_by_email(globex, run_on_commit, mailbox):
    with run_on_commit(execute=True):
        payment = schedule(globex, total_cents=40000)
    assert (payment.status, payment.amount_cents, payment.method) == (PaymentStatus.SCHEDULED, 40000, "ach")
    assert list(payment.allocations.order_by("invoice__due_date").values_list("invoice_id", "amount_cents")) == [
        (globex["older"].pk, 30000),
        (globex["newer"].pk, 10000),
    ]
    older, newer = (Invoice.objects.get(pk=globex[k].pk) for k in ("older", "newer"))
    assert (older.pending_cents, older.available_cents, newer.available_cents) == (30000, 0, 40000)
    assert PaymentEvent.objects.get(payment=payment).to_status == PaymentStatus.SCHEDULED
    payer_mail, biller_mail = mailbox()
    assert payer_mail["To"] == "ap@globex.example"
    text = parts(payer_mail)["text/plain"]
    assert "$400.00" in text and "••••6789" in text and globex["older"].number in text
    assert f"{payment.pay_on:%B}" in text
    assert "123456789" not in payer_mail.as_string() and "123456789" not in biller_mail.as_string()
    assert biller_mail["Subject"].startswith("Globex Corporation scheduled $400.00")


def test_the_same_idempotency_key_never_makes_a_second_payment(globex):
    first = schedule(globex, total_cents=1000, idempotency_key="k-1")
    again = schedule(globex, total_cents=1000, idempotency_key="k-1")
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
def test_refusals_name_the_field_and_save_nothing(globex, changes, field, message):
    with pytest.raises(PaymentError, match=message.replace("$", r"\$")) as error:
        schedule(globex, **changes)
    assert error.value.field == field
    assert not Payment.objects.exists()
    assert not Invoice.objects.filter(pending_cents__gt=0).exists()


def test_pay_on_must_be_a_banking_day_not_too_soon(globex):
    soonest = soonest_pay_on(globex["acme"])
    saturday = soonest + timedelta(days=(5 - soonest.weekday()) % 7)
    for bad, words in [(saturday, "not a banking day"), (soonest - timedelta(days=30), "in the past")]:
        with pytest.raises(PaymentError, match=words) as error:
            schedule(globex, pay_on=bad)
        assert error.value.field == "pay_on"
    assert schedule(globex, pay_on=next_banking_day(soonest)).pay_on == next_banking_day(soonest)


def test_another_customers_invoice_cannot_be_smuggled_in(globex):
    neighbour = make_customer(globex["acme"], "Initech")
    foreign = make_invoice(neighbour, amount_cents=1000)
    with pytest.raises(PaymentError, match="not yours to pay") as error:
        schedule(globex, invoice_ids=[globex["older"].pk, foreign.pk], total_cents=1000)
    assert error.value.field == "invoices"
    assert not Payment.objects.exists()


def test_a_colleagues_private_account_cannot_be_used(globex):
    colleague = make_portal_user(globex["customer"], email="controller@globex.example", role="member")
    private = make_bank_account(colleague, private=True)
    with pytest.raises(PaymentError, match="Choose a bank account you may pay from") as error:
        schedule(globex, bank_account_id=private.pk)
    assert error.value.field == "bank_account"
    assert schedule(globex, payer=colleague, bank_account_id=private.pk, total_cents=100).bank_account == private


def test_what_is_scheduled_is_no_longer_available_until_cancelled(globex):
    payment = schedule(globex)
    with pytest.raises(PaymentError, match="already paid or scheduled"):
        schedule(globex, total_cents=1)
    payment_cancel(payment=payment, actor=globex["admin"], reason="Changed my mind")
    assert Invoice.objects.get(pk=globex["older"].pk).available_cents == 30000
    assert schedule(globex, total_cents=80000).amount_cents == 80000
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
def test_colleagues_paying_the_same_invoices_at_the_same_moment_never_overpay(globex, tmp_path):
    """Six payers at once, each a separate `remit` process with its own database connection, all
    released at the same instant."""
    colleague = make_portal_user(globex["customer"], email="controller@globex.example", role="member")
    payers = [globex["admin"].pk, colleague.pk] * 3
    script, go = tmp_path / "pay.py", tmp_path / "go"
    script.write_text(PAYER_SCRIPT)
    invoices = f"{globex['older'].pk},{globex['newer'].pk}"
    pay_on = soonest_pay_on(globex["acme"]).isoformat()
    env, account = child_env(), globex["account"].pk
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
