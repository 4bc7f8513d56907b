"""The world `make loadtest` loads: one biller with its console staff, customer accounts with portal
users (known passwords), their invoices (some paid, some overdue, most outstanding), a bank account
each and a payment history — made through the real actions, as the portal and console would."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.db import connections
from django.test.utils import override_settings
from django.utils import timezone

from remit.customers.models import Customer
from remit.invoices.actions import InvoiceDraft, invoices_create
from remit.invoices.models import Invoice
from remit.invoices.pdf import invoice_pdf_bytes
from remit.invoices.totals import Line
from remit.test import (
    PASSWORD,
    ach_payment_rows,
    make_bank_account,
    make_biller,
    make_customer,
    make_portal_user,
    make_staff,
)


@dataclass
class Logins:
    """Who the load signs in as: what the locust scenario reads (scenario.py)."""

    slug: str
    password: str
    portal: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> Logins:
        return cls(**json.loads(path.read_text()))


def seed_world(*, customers: int, invoices: int, staff: int = 5, seed: int = 16) -> Logins:
    """``customers`` accounts of one biller, each with ``invoices`` invoices (a quarter of them paid by
    settled payments, the oldest open ones overdue), a portal admin and a colleague, and a bank account."""
    rng = random.Random(seed)  # noqa: S311 (made-up amounts and dates, the same every run)
    biller, owner = make_biller("Loadtest Supply Co.")
    logins = Logins(slug=biller.slug, password=PASSWORD, console=[owner.email])
    logins.console += [make_staff(biller, email=f"staff{n}@loadtest.example").email for n in range(staff - 1)]
    today = timezone.localdate()
    for n in range(customers):
        customer = make_customer(biller, f"Customer {n:03d} LLC", email=f"ap{n}@customer{n}.example")
        drafts = [_draft(customer, today=today, age=rng.randrange(5, 200), rng=rng) for _ in range(invoices)]
        created = invoices_create(biller=biller, actor=owner, drafts=drafts)
        admin = make_portal_user(customer)
        clerk = make_portal_user(customer, email=f"clerk{n}@customer{n}.example", role="member")
        make_bank_account(admin)
        logins.portal += [admin.email, clerk.email]
        paid = sorted(created, key=lambda invoice: invoice.due_date)[: invoices // 4]
        for invoice in paid:
            ach_payment_rows(
                customer,
                [(invoice, invoice.total_cents)],
                pay_on=invoice.due_date - timedelta(days=3),
                status="settled",
            )
    return logins


def _draft(customer: Customer, *, today: date, age: int, rng: random.Random) -> InvoiceDraft:
    lines = [
        Line(f"Item {k + 1}", Decimal(rng.randrange(1, 20)), rng.randrange(500, 25_000))
        for k in range(rng.randrange(1, 6))
    ]
    return InvoiceDraft(customer=customer, issue_date=today - timedelta(days=age), terms="net_30", lines=lines)


def keep_pdfs(biller_slug: str, *, base_url: str) -> int:
    """Draw and keep every invoice's PDF, as emailing each invoice does (``invoice_send`` attaches it),
    in a process per core; the number of PDFs. The PDF prints the portal's address, so it is drawn with
    the ``base_url`` the web instances will have, or they would find another version and draw it again.
    A payment changes an invoice's version later, and its next download draws it again, as in production."""
    ids = list(Invoice.objects.filter(biller__slug=biller_slug).values_list("pk", flat=True))
    processes = os.cpu_count() or 1
    connections.close_all()  # each forked process opens its own
    with (
        override_settings(REMIT_BASE_URL=base_url),
        multiprocessing.get_context("fork").Pool(processes, initializer=_plain_signals) as pool,
    ):
        pool.map(_keep_pdfs, [ids[n::processes] for n in range(processes)])
    return len(ids)


def _plain_signals() -> None:
    """A drawing process ends quietly when the pool ends it (SIGTERM), not through the run's own
    handlers (``loadtest.stop_on_signals``), which it inherited and which would print a traceback;
    Ctrl-C reaches the run, which ends the pool."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _keep_pdfs(ids: list[int]) -> None:
    for invoice in Invoice.objects.filter(pk__in=ids).select_related("biller", "customer"):
        invoice_pdf_bytes(invoice)
    connections.close_all()
