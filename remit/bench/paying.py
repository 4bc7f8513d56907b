"""Issue 5's figures: scheduling one payment across 1,000 open invoices, and 20 payers at once."""

from __future__ import annotations

import multiprocessing
import statistics
import time
from datetime import date, timedelta
from typing import Any

from django.db import connection, connections, reset_queries
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.actions import PaymentError, payment_cancel, payment_schedule
from remit.test import make_bank_account, make_portal_user, soonest_pay_on

Row = tuple[str, str, str]


def _customer_with_invoices(biller: Biller, name: str, count: int, amount: int = 10_000) -> tuple[Customer, Any, Any]:
    customer = Customer.objects.create(
        biller=biller, name=name, billing_emails=[f"{name.lower().replace(' ', '')}@bench.example"]
    )
    Invoice.objects.bulk_create(
        Invoice(
            biller=biller,
            customer=customer,
            number=f"{name[:3].upper()}-{n:05d}",
            issue_date=date(2026, 1, 1) + timedelta(days=n % 300),
            due_date=date(2026, 2, 1) + timedelta(days=n % 300),
            subtotal_cents=amount,
            total_cents=amount,
        )
        for n in range(count)
    )
    user = make_portal_user(customer)
    return customer, user, make_bank_account(user)


def schedule_across_1000(biller: Biller, *, runs: int = 10) -> Row:
    customer, user, account = _customer_with_invoices(biller, "Thousand Invoices Ltd", 1000)
    ids = list(customer.invoices.values_list("pk", flat=True))
    pay_on = soonest_pay_on(biller)
    timings, queries = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        reset_queries()  # the log is capped; a full one would count nothing
        with CaptureQueriesContext(connection) as captured:
            payment = payment_schedule(
                payer=user, invoice_ids=ids, bank_account_id=account.pk, pay_on=pay_on, total_cents=1000 * 10_000
            )
        timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
        payment_cancel(payment=payment, actor=user, reason="benchmark")
    return (
        "Schedule one payment over 1,000 open invoices",
        f"median {statistics.median(timings):.0f} ms over {runs}",
        f"{queries} queries",
    )


def _payer_loop(
    user_id: int,
    invoice_ids: list[int],
    account_id: int,
    pay_on: str,
    seconds: float,
    start: Any,
    stop_when_refused: bool = False,
) -> tuple[int, int]:
    from remit.users.models import User

    user = User.objects.get(pk=user_id)
    start.wait(timeout=60)
    made = refused = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            payment_schedule(
                payer=user,
                invoice_ids=invoice_ids,
                bank_account_id=account_id,
                pay_on=date.fromisoformat(pay_on),
                total_cents=500,
            )
            made += 1
        except PaymentError:
            refused += 1
            if stop_when_refused:
                break  # nothing is left to pay
    connections.close_all()
    return made, refused


def parallel_payers(biller: Biller, *, payers: int = 20, seconds: float = 30.0) -> Row:
    """20 people of one customer account paying the same invoices at once, for ``seconds``: payments
    per second while there is plenty to pay; then a shorter round where they run out of what they
    may pay, to check that not one cent is scheduled beyond the invoices' totals."""
    rate_made, rate_refused = _payers_round(biller, "Busy Payers Inc", payers, seconds, amount=1_000_000_000)
    # $3,000 across 50 invoices in $5 payments: exactly 600 can succeed; each payer goes on until it
    # is refused (nothing left), so the round ends when the invoices are fully scheduled.
    made, refused = _payers_round(biller, "Exact Payers Inc", payers, 300.0, amount=6_000, until_refused=True)
    over = F("total_cents") - F("pending_cents") - F("credited_cents")
    overpaid = Invoice.objects.filter(biller=biller, paid_cents__gt=over).count()
    exact = "exactly" if made * 500 == 50 * 6_000 else "NOT"
    return (
        f"{payers} parallel payers, same invoices, {seconds:.0f} s ({connection.vendor})",
        f"{rate_made / seconds:.1f} payments/s ({rate_made} made, {rate_refused} refused)",
        f"{overpaid} invoices overpaid; when they ran out: {made} × $5 = {exact} the $3,000 owed, {refused} refused",
    )


def _payers_round(
    biller: Biller, name: str, payers: int, seconds: float, *, amount: int, until_refused: bool = False
) -> tuple[int, int]:
    customer, admin, account = _customer_with_invoices(biller, name, 50, amount=amount)
    users = [admin] + [
        make_portal_user(customer, email=f"payer{n}@{name.split()[0].lower()}.example", role="member")
        for n in range(payers - 1)
    ]
    ids = list(customer.invoices.values_list("pk", flat=True))
    pay_on = soonest_pay_on(biller).isoformat()
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Manager().Event()
    with context.Pool(payers) as pool:
        jobs = [
            pool.apply_async(_payer_loop, (u.pk, ids, account.pk, pay_on, seconds, start, until_refused)) for u in users
        ]
        start.set()
        results = [job.get(timeout=seconds + 120) for job in jobs]
    return sum(m for m, _ in results), sum(r for _, r in results)
