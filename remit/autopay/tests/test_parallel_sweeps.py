"""Never twice, with real concurrency: two sweeps in two separate `remit` processes (two workers),
plus a customer paying by hand at the same instant, on the test database (PostgreSQL in CI's
second run). Every invoice ends with at most one Auto Pay payment and never more scheduled than
it is owed."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from django.db.models import Count, Sum

from remit.autopay.models import AutoPay, AutoPayClaim
from remit.invoices.models import Invoice
from remit.payments.models import Allocation, Payment, PaymentStatus
from remit.test import (
    child_env,
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db(transaction=True)

SWEEP = """
import sys, time
from pathlib import Path
from remit.autopay.engine import autopay_run
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
report = autopay_run()
print(f"scheduled {len(report.scheduled)}")
"""

MANUAL = """
import sys, time
from datetime import date
from pathlib import Path
from remit.payments.actions import PaymentError, payment_schedule
from remit.users.models import User
go, payer, invoice, account, pay_on = sys.argv[1:6]
payer = User.objects.get(pk=int(payer))
while not Path(go).exists():
    time.sleep(0.005)
try:
    payment = payment_schedule(payer=payer, invoice_ids=[int(invoice)], bank_account_id=int(account),
                               pay_on=date.fromisoformat(pay_on), total_cents=2500)
    print(f"paid {payment.pk}")
except PaymentError as error:
    print(f"refused: {error}")
"""


def start(script, args, tmp_path, name):
    path = tmp_path / f"{name}.py"
    path.write_text(script)
    argv = ["x", *map(str, args)]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "remit",
            "shell",
            "-c",
            f"import sys; sys.argv = {argv!r}; exec(open({str(path)!r}).read())",
        ],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_sweeps_and_a_manual_payment_at_once_schedule_each_invoice_once(tmp_path):
    acme, _ = make_biller("Acme Supply Co.")
    first_admin = first_account = first_customer = None
    for n in range(12):
        customer = make_customer(acme, f"Customer {n}", email=f"ap{n}@customer{n}.example")
        admin = make_portal_user(customer)
        account = make_bank_account(admin, number=f"1000{n:05d}")
        for k in range(20):
            make_invoice(customer, amount_cents=1000 + 500 * k)
        # Turned on without running the engine, so that the sweeps find all the work at once.
        AutoPay.objects.create(
            customer=customer, enabled=True, max_cents=8000, bank_account=account, days=1, updated_by=admin, version=1
        )
        if first_customer is None:
            first_admin, first_account, first_customer = admin, account, customer
    assert first_admin is not None and first_account is not None
    contested = Invoice.objects.filter(customer=first_customer).order_by("pk").last()
    assert contested is not None
    go = tmp_path / "go"
    processes = [
        start(SWEEP, [go], tmp_path, "sweep-a"),
        start(SWEEP, [go], tmp_path, "sweep-b"),
        start(MANUAL, [go, first_admin.pk, contested.pk, first_account.pk, soonest_pay_on(acme)], tmp_path, "manual"),
    ]
    time.sleep(3)  # every process has loaded Django and waits
    go.touch()
    outputs = [process.communicate(timeout=180) for process in processes]
    results = [out.strip().splitlines()[-1] if out.strip() else f"crashed: {err[-800:]}" for out, err in outputs]
    assert all(not r.startswith("crashed") for r in results), results

    eligible = Invoice.objects.count()
    claims = AutoPayClaim.objects.count()
    # The contested invoice ($105 > the $80 maximum): if the manual payment came first, Auto Pay left
    # the invoice alone; if Auto Pay came first, the customer's $25 paid exactly the rest.
    manual_first = not AutoPayClaim.objects.filter(invoice=contested).exists()
    assert results[2].startswith("paid"), results
    assert claims == eligible - (1 if manual_first else 0), results
    contested.refresh_from_db()
    assert contested.pending_cents == (2500 if manual_first else 10500)
    assert int(results[0].split()[1]) + int(results[1].split()[1]) == claims, results
    # Never two Auto Pay payments on one invoice, never more scheduled than owed.
    per_invoice = (
        Allocation.objects.filter(payment__is_autopay=True, payment__status=PaymentStatus.SCHEDULED)
        .values("invoice")
        .annotate(n=Count("payment"))
    )
    assert all(row["n"] == 1 for row in per_invoice)
    assert Payment.objects.filter(is_autopay=True).count() == claims
    for invoice in Invoice.objects.all():
        pending = Allocation.objects.filter(invoice=invoice, payment__status=PaymentStatus.SCHEDULED).aggregate(
            total=Sum("amount_cents")
        )["total"]
        assert (pending or 0) <= invoice.total_cents
