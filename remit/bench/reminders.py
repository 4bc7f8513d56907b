"""The reminder round's figures: 100,000 open invoices of 10,000 customer accounts, a schedule of
five steps (7 days before the due date, on it, 3, 14 and 30 days after), due dates from 60 days ago
to 40 days ahead. One invoice in ten is fully covered by money already scheduled (its stored
``pending_cents``, what the round reads), one account in twenty is paused. The rounds of the days
before have run (their ``ReminderSent`` rows are seeded). Measured: today's round (a day's steps over
the 100,000 invoices), the same day again (nothing to send), and the next day. The first round of a
new schedule sends to every invoice whose step has come at once — about 57,000 here —; an email costs
the same then (the time per email is printed), so that round takes that many times longer.

The rounds run in a fresh process of their own, as in the worker, so its peak memory is the round's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection

from remit.billers.actions import biller_sign_up
from remit.customers.models import AccountType, Customer
from remit.invoices.models import Invoice, InvoiceCounter
from remit.reminders import rules
from remit.reminders.models import ReminderPause, ReminderSent, ReminderStep

Row = tuple[str, str, str]
OFFSETS = (-7, 0, 3, 14, 30)


@dataclass(frozen=True)
class Expected:
    biller_id: int
    first: int  # reminders the first round must send
    today: date


def seed_reminders(*, invoices: int, customers: int) -> Expected:
    biller, owner = biller_sign_up(
        business_name="Reminder Bench Supplies",
        owner_name="Bench",
        email="reminders@bench.example",
        password="bench-password-2026",
    )
    for offset in OFFSETS:
        ReminderStep.objects.create(biller=biller, offset_days=offset, subject=f"Reminder ({offset:+d} days)")
    Customer.objects.bulk_create(
        (
            Customer(
                biller=biller,
                name=f"Reminder Customer {n:05d}",
                reference=f"RM{n:05d}",
                billing_emails=[f"rm{n}@bench.example"],
                account_type=AccountType.BUSINESS,
            )
            for n in range(customers)
        ),
        batch_size=5000,
    )
    ids = list(Customer.objects.filter(biller=biller).order_by("pk").values_list("pk", flat=True))
    paused = set(ids[::20])
    ReminderPause.objects.bulk_create(
        ReminderPause(biller=biller, customer_id=pk, reason="Bench", paused_by=owner) for pk in sorted(paused)
    )

    today = biller.today()
    first = 0
    batch: list[Invoice] = []
    for n in range(invoices):
        customer_id = ids[n % len(ids)]
        total = 5_000 + (n * 37) % 60_000
        due = today + timedelta(days=n % 100 - 60)
        covered = n % 10 == 3
        batch.append(
            Invoice(
                biller=biller,
                customer_id=customer_id,
                number=f"RM-{n + 1:06d}",
                issue_date=due - timedelta(days=30),
                due_date=due,
                subtotal_cents=total,
                total_cents=total,
                pending_cents=total if covered else 0,
            )
        )
        if len(batch) == 5000:
            _insert(batch, today, paused)
            batch = []
    _insert(batch, today, paused)
    first = sum(
        1
        for due, issue, customer_id, pending in Invoice.objects.filter(biller=biller).values_list(
            "due_date", "issue_date", "customer_id", "pending_cents"
        )
        if not pending
        and customer_id not in paused
        and rules.latest_due_step(
            OFFSETS, due_date=due, issue_date=issue, today=today, sent=_sent_before(due, issue, today)
        )
        is not None
    )
    InvoiceCounter.objects.update_or_create(biller=biller, defaults={"next_number": invoices + 1})
    return Expected(biller_id=biller.pk, first=first, today=today)


def _sent_before(due: date, issue: date, today: date) -> list[int]:
    """What yesterday's rounds sent for an invoice: the latest step whose day had come then."""
    step = rules.latest_due_step(OFFSETS, due_date=due, issue_date=issue, today=today - timedelta(days=1))
    return [] if step is None else [step]


def _insert(batch: list[Invoice], today: date, paused: set[int]) -> None:
    Invoice.objects.bulk_create(batch)
    ReminderSent.objects.bulk_create(
        ReminderSent(
            invoice=invoice,
            offset_days=sent[0],
            subject="Seeded",
            recipients=[],
            balance_cents=invoice.total_cents,
            left_cents=invoice.total_cents,
            sent_on=today - timedelta(days=1),
        )
        for invoice in batch
        if not invoice.pending_cents
        and invoice.customer_id not in paused
        and (sent := _sent_before(invoice.due_date, invoice.issue_date, today))
    )


def _rounds(today_text: str) -> dict[str, Any]:
    """In the child process: the first round, the same day again, the next day; times and memory."""
    from django.db import connection

    from remit.bench.autopay import peak_rss_kib
    from remit.notifications import actions as notifications_actions
    from remit.notifications.models import OutboundEmail
    from remit.reminders.engine import reminders_run

    notifications_actions._request_delivery = lambda email_id: None  # no worker: the outbox is counted
    connection.ensure_connection()
    today = date.fromisoformat(today_text)
    before_kib = peak_rss_kib()
    started = time.perf_counter()
    first = reminders_run(today=today)
    first_seconds = time.perf_counter() - started
    peak_kib = peak_rss_kib()
    emails = OutboundEmail.objects.count()
    started = time.perf_counter()
    again = reminders_run(today=today)
    again_seconds = time.perf_counter() - started
    started = time.perf_counter()
    next_day = reminders_run(today=today + timedelta(days=1))
    next_seconds = time.perf_counter() - started
    return {
        "first_seconds": first_seconds,
        "first_sent": len(first.sent),
        "first_emails": first.emails,
        "outbox": emails,
        "before_kib": before_kib,
        "peak_kib": peak_kib,
        "again_seconds": again_seconds,
        "again_sent": len(again.sent),
        "next_seconds": next_seconds,
        "next_sent": len(next_day.sent),
    }


CHILD = (
    "import json, os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'remit.settings'); "
    "django.setup(); from remit.bench.reminders import _rounds; "
    "print('REMINDER-BENCH ' + json.dumps(_rounds(sys.argv[1])))"
)


def rounds(database_url: str, *, invoices: int = 100_000, customers: int | None = None) -> list[Row]:
    customers = customers or max(invoices // 10, 2)
    started = time.perf_counter()
    expected = seed_reminders(invoices=invoices, customers=customers)
    sys.stderr.write(f"  seeded {invoices:,} open invoices for reminders in {time.perf_counter() - started:.1f} s\n")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    env = {**os.environ, "DATABASE_URL": database_url}
    command = [sys.executable, "-c", CHILD, expected.today.isoformat()]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("REMINDER-BENCH ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"The reminder round failed:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line.removeprefix("REMINDER-BENCH "))
    return [*_rows(figures, invoices=invoices), _check(figures, expected)]


def _rows(figures: dict[str, Any], *, invoices: int) -> list[Row]:
    peak_mb, before_mb = figures["peak_kib"] / 1024, figures["before_kib"] / 1024
    per_email = figures["first_seconds"] * 1000 / max(figures["first_emails"], 1)
    return [
        (
            f"Reminder round, {invoices:,} open invoices, 5 steps (a day's round)",
            f"{figures['first_seconds']:.2f} s ({per_email:.1f} ms per email)",
            f"peak memory {peak_mb:.0f} MB (whole process, {before_mb:.0f} MB before it); "
            f"{figures['first_emails']:,} emails queued",
        ),
        (
            "Reminder round again the same day, nothing to send",
            f"{figures['again_seconds']:.2f} s",
            f"{figures['again_sent']:,} reminders sent",
        ),
        (
            "Reminder round the next day",
            f"{figures['next_seconds']:.2f} s",
            f"{figures['next_sent']:,} reminders sent",
        ),
    ]


def _check(figures: dict[str, Any], expected: Expected) -> Row:
    sent = ReminderSent.objects.filter(invoice__biller_id=expected.biller_id)
    problems = []
    if figures["first_sent"] != expected.first:
        problems.append(f"{figures['first_sent']:,} sent first, {expected.first:,} expected")
    if figures["again_sent"]:
        problems.append("the same day's second round sent reminders")
    if figures["outbox"] != figures["first_emails"]:
        problems.append(f"{figures['outbox']:,} emails in the outbox after the first round")
    verdict = "OK" if not problems else "WRONG: " + "; ".join(problems)
    return (
        "Reminder round correctness",
        f"{sent.count():,} reminders recorded; {expected.first:,} due today",
        verdict,
    )
