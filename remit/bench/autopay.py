"""Auto Pay's figures: the sweep over 100,000 open invoices of 10,000 customer accounts, half of them
with Auto Pay on (goals: the first sweep under 30 s and 300 MB, the next one under 3 s, on
PostgreSQL with 2 cores).

The sweeps run in a fresh process of their own, as in the worker, so its peak memory is the sweep's
and not the seeding's (nor the other benchmarks').
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from remit.autopay.models import AutoPay, AutoPayClaim, When
from remit.billers.actions import biller_sign_up
from remit.customers.models import AccountType, Customer, CustomerMembership, PortalRole
from remit.invoices.models import Invoice, InvoiceCounter
from remit.lib import crypto
from remit.payments.bank_accounts import SHARED, account_lookup_hash
from remit.payments.models import BankAccount, BankAccountType, Payment, PaymentStatus
from remit.users.models import User

Row = tuple[str, str, str]

MAX_CENTS = 500_000  # $5,000.00, each customer's Maximum Payment Amount
ABOVE_MAX_CENTS = 750_000  # one invoice in 19 is above it: $5,000 paid by Auto Pay, $2,500 left
ROUTING = "011000015"


@dataclass(frozen=True)
class Expected:
    """What a correct first sweep does, worked out while seeding (not by asking the engine)."""

    biller_id: int
    payments: int
    cents: int
    above_max: int


def seed_autopay(*, invoices: int, customers: int) -> Expected:
    """One biller, ``customers`` accounts, ``invoices`` open invoices spread evenly over them; every
    other account has Auto Pay on, with its own bank account (number encrypted as when added in the
    portal) and an admin who set it up."""
    biller, _ = biller_sign_up(
        business_name="Auto Pay Bench Utilities",
        owner_name="Bench",
        email="autopay@bench.example",
        password="bench-password-2026",
    )
    Customer.objects.bulk_create(
        (
            Customer(
                biller=biller,
                name=f"Auto Pay Customer {n:05d}",
                reference=f"AP{n:05d}",
                billing_emails=[f"ap{n}@bench.example"],
                account_type=AccountType.BUSINESS,
            )
            for n in range(customers)
        ),
        batch_size=5000,
    )
    ids = list(Customer.objects.filter(biller=biller).order_by("pk").values_list("pk", flat=True))
    on = ids[::2]
    password = make_password(None)  # unusable, like a login that never set one; hashed once
    User.objects.bulk_create(
        (
            User(email=f"ap{n * 2}@bench.example", full_name=f"Admin {n}", biller=biller, password=password)
            for n in range(len(on))
        ),
        batch_size=5000,
    )
    users = list(User.objects.filter(biller=biller).order_by("pk").values_list("pk", flat=True))
    CustomerMembership.objects.bulk_create(
        (CustomerMembership(customer_id=c, user_id=u, role=PortalRole.ADMIN) for c, u in zip(on, users, strict=True)),
        batch_size=5000,
    )
    accounts = []
    for n, (customer_id, user_id) in enumerate(zip(on, users, strict=True)):
        number = f"{9_000_000_000 + n}"
        accounts.append(
            BankAccount(
                customer_id=customer_id,
                added_by_id=user_id,
                holder_name=f"Auto Pay Customer {n * 2:05d}",
                routing_number=ROUTING,
                account_type=BankAccountType.CHECKING,
                account_number_encrypted=crypto.encrypt(number),
                account_last4=number[-4:],
                lookup_hash=account_lookup_hash(routing_number=ROUTING, account_number=number),
                visibility_key=SHARED,
                debits_from=timezone.localdate(),  # validated: the bench measures Auto Pay, not waits
            )
        )
    BankAccount.objects.bulk_create(accounts, batch_size=5000)
    account_of = dict(BankAccount.objects.filter(customer__biller=biller).values_list("customer_id", "pk"))
    AutoPay.objects.bulk_create(
        (
            AutoPay(
                customer_id=customer_id,
                enabled=True,
                max_cents=MAX_CENTS,
                bank_account_id=account_of[customer_id],
                days=n % 4,
                when=When.BEFORE if n % 3 else When.AFTER,
                version=1,
                updated_by_id=user_id,
            )
            for n, (customer_id, user_id) in enumerate(zip(on, users, strict=True))
        ),
        batch_size=5000,
    )
    # Due dates from ten days ago (overdue: paid as soon as the bank allows) to 80 days ahead.
    today = timezone.localdate()
    enabled = set(on)
    payments = cents = above_max = 0
    batch: list[Invoice] = []
    for n in range(invoices):
        customer_id = ids[n % len(ids)]
        total = ABOVE_MAX_CENTS if n % 19 == 7 else 5_000 + (n * 37) % 60_000
        due = today + timedelta(days=n % 90 - 10)
        batch.append(
            Invoice(
                biller=biller,
                customer_id=customer_id,
                number=f"AP-{n + 1:06d}",
                issue_date=due - timedelta(days=30),
                due_date=due,
                subtotal_cents=total,
                total_cents=total,
            )
        )
        if customer_id in enabled:
            payments += 1
            cents += min(total, MAX_CENTS)
            above_max += total > MAX_CENTS
        if len(batch) == 5000:
            Invoice.objects.bulk_create(batch)
            batch = []
    Invoice.objects.bulk_create(batch)
    InvoiceCounter.objects.update_or_create(biller=biller, defaults={"next_number": invoices + 1})
    return Expected(biller_id=biller.pk, payments=payments, cents=cents, above_max=above_max)


def peak_rss_kib() -> int:
    """This process's peak resident memory (KiB). Linux's ``VmHWM``, not ``ru_maxrss``: a process
    started by ``subprocess`` inherits its parent's ``ru_maxrss`` across the exec, so that would show
    the bench process's own peak whenever it is the larger."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _sweep_twice() -> dict[str, Any]:
    """In the child process: the first sweep, then one with nothing to do; times and memory."""
    from django.db import connection

    from remit.autopay import engine as actions
    from remit.notifications import actions as notifications_actions

    # The notices go to the outbox of this throwaway database; no worker is asked to send them.
    actions.enqueue_on_commit = lambda *args, **kwargs: None
    notifications_actions._request_delivery = lambda email_id: None
    connection.ensure_connection()  # the worker's connection is already open
    before_kib = peak_rss_kib()
    started = time.perf_counter()
    first = actions.autopay_run()
    first_seconds = time.perf_counter() - started
    peak_kib = peak_rss_kib()
    started = time.perf_counter()
    second = actions.autopay_run()
    second_seconds = time.perf_counter() - started
    return {
        "first_seconds": first_seconds,
        "first_scheduled": len(first.scheduled),
        "first_other": len(first.rescheduled) + len(first.withdrawn),
        "before_kib": before_kib,
        "peak_kib": peak_kib,
        "second_seconds": second_seconds,
        "second_changed": len(second.scheduled) + len(second.rescheduled) + len(second.withdrawn),
    }


CHILD = (
    "import json, os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'remit.settings'); django.setup(); "
    "from remit.bench.autopay import _sweep_twice; print('AUTOPAY-BENCH ' + json.dumps(_sweep_twice()))"
)


def sweeps(database_url: str, *, invoices: int = 100_000, customers: int | None = None) -> list[Row]:
    customers = customers or max(invoices // 10, 2)
    started = time.perf_counter()
    expected = seed_autopay(invoices=invoices, customers=customers)
    seeded = time.perf_counter() - started
    sys.stderr.write(f"  seeded {invoices:,} Auto Pay invoices of {customers:,} accounts in {seeded:.1f} s\n")
    if connection.vendor == "postgresql":
        # The statistics autovacuum would have by the time a sweep runs, minutes or hours after the
        # invoices arrived: without them PostgreSQL plans with what it saw before the seeding (and
        # the other benchmarks' payments, nearly all cancelled), which makes refresh_invoice_amounts
        # walk every scheduled payment for each invoice, and the sweep twice as slow.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("AUTOPAY-BENCH ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"The Auto Pay sweep failed:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line.removeprefix("AUTOPAY-BENCH "))
    return [*_rows(figures, invoices=invoices, customers=customers), _check(figures, expected)]


def _rows(figures: dict[str, Any], *, invoices: int, customers: int) -> list[Row]:
    peak_mb, before_mb = figures["peak_kib"] / 1024, figures["before_kib"] / 1024
    on = customers - customers // 2
    return [
        (
            f"Auto Pay first sweep, {invoices:,} open invoices, {customers:,} accounts ({on:,} on)",
            f"{figures['first_seconds']:.2f} s (goal < 30 s on PostgreSQL, 2 cores)",
            f"peak memory {peak_mb:.0f} MB (whole process, {before_mb:.0f} MB before it; goal < 300 MB); "
            f"{figures['first_scheduled']:,} payments scheduled",
        ),
        (
            "Auto Pay second sweep, nothing to do",
            f"{figures['second_seconds']:.2f} s (goal < 3 s on PostgreSQL, 2 cores)",
            f"{figures['second_changed']:,} payments scheduled or changed",
        ),
    ]


def _check(figures: dict[str, Any], expected: Expected) -> Row:
    """Cheap proof the first sweep did exactly its job: one claim and one payment per eligible
    invoice, never two claims for an invoice, each paying up to the maximum."""
    mine = AutoPayClaim.objects.filter(customer__biller_id=expected.biller_id)
    claims = mine.count()
    doubled = mine.values("invoice_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    payments = Payment.objects.filter(biller_id=expected.biller_id, is_autopay=True, status=PaymentStatus.SCHEDULED)
    paid = payments.aggregate(cents=Sum("amount_cents"))["cents"] or 0
    above = mine.filter(left_to_pay_cents__gt=0).count()
    problems = []
    if claims != expected.payments or figures["first_scheduled"] != expected.payments:
        problems.append(f"{claims:,} claims, {figures['first_scheduled']:,} scheduled, {expected.payments:,} expected")
    if doubled:
        problems.append(f"{doubled} invoices with two claims")
    if payments.count() != expected.payments or paid != expected.cents:
        problems.append(f"${paid / 100:,.2f} scheduled, ${expected.cents / 100:,.2f} expected")
    if above != expected.above_max:
        problems.append(f"{above} above the maximum, {expected.above_max} expected")
    if figures["first_other"] or figures["second_changed"]:
        problems.append("a sweep re-planned or withdrew payments")
    verdict = "OK" if not problems else "WRONG: " + "; ".join(problems)
    return (
        "Auto Pay sweep correctness",
        f"{claims:,} claims = {expected.payments:,} eligible invoices; {doubled} invoices with two claims",
        f"{verdict} ({above:,} above the maximum, ${paid / 100:,.2f} scheduled)",
    )
