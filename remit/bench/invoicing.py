"""Issue 3's figures: the console's invoice list with 100,000 invoices, and a 10,000-row CSV import."""

from __future__ import annotations

import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from remit.billers.actions import biller_sign_up
from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceCounter
from remit.users.models import User

Row = tuple[str, str, str]


def seed_invoices(*, count: int, customers: int = 1000) -> tuple[Biller, User]:
    biller, owner = biller_sign_up(
        business_name="Bench Supply Co.",
        owner_name="Bench",
        email="bench@bench.example",
        password="bench-password-2026",
    )
    Customer.objects.bulk_create(
        Customer(biller=biller, name=f"Customer {n:05d}", reference=f"C{n:05d}", billing_emails=[f"c{n}@bench.example"])
        for n in range(customers)
    )
    ids = list(Customer.objects.filter(biller=biller).values_list("pk", flat=True))
    start = date(2024, 1, 1)
    batch: list[Invoice] = []
    for n in range(count):
        issued = start + timedelta(days=n % 700)
        batch.append(
            Invoice(
                biller=biller,
                customer_id=ids[n % len(ids)],
                number=f"INV-{n + 1:06d}",
                issue_date=issued,
                due_date=issued + timedelta(days=30),
                subtotal_cents=10_000 + n % 5000,
                total_cents=10_000 + n % 5000,
                paid_cents=(10_000 + n % 5000) if n % 3 == 0 else 0,
            )
        )
        if len(batch) == 5000:
            Invoice.objects.bulk_create(batch)
            batch = []
    Invoice.objects.bulk_create(batch)
    InvoiceCounter.objects.update_or_create(biller=biller, defaults={"next_number": count + 1})
    return biller, owner


def invoice_list_first_page(biller: Biller, owner: User, *, requests: int = 20) -> Row:
    client = Client()
    client.force_login(owner)
    path = f"/console/{biller.slug}/invoices/"
    client.get(path)  # warm caches and connections
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        reset_queries()  # the log is capped; a full one would count nothing
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    count = Invoice.objects.filter(biller=biller).count()
    return (
        f"Console invoice list, first page ({count:,} invoices)",
        f"median {statistics.median(timings):.1f} ms over {requests} requests",
        f"{len(queries)} queries",
    )


def write_invoice_csv(path: Path, *, rows: int, customers: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Invoice number", "Customer reference", "Issue date", "Terms", "Description", "Quantity", "Unit price"]
        )
        for n in range(rows):
            invoice = n // 2  # two lines per invoice
            writer.writerow(
                [f"IMP-{invoice:06d}", f"C{invoice % customers:05d}", "2026-11-02", "Net 30", f"Item {n}", "2", "12.50"]
            )


def import_csv(database_url: str, biller: Biller, *, rows: int = 10_000) -> Row:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "invoices.csv"
        write_invoice_csv(path, rows=rows, customers=Customer.objects.filter(biller=biller).count())
        env = {**os.environ, "DATABASE_URL": database_url}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "remit", "import", "invoices", str(path), "--biller", biller.slug],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode != 0:
        raise RuntimeError(f"The import failed:\n{result.stdout}\n{result.stderr}")
    peak = f"peak memory {peak_kib / 1024:.0f} MB (whole process)" if peak_kib > before else "peak memory n/a"
    return (f"CSV import, {rows:,} invoice rows ({rows // 2:,} invoices)", f"{elapsed:.2f} s", peak)
