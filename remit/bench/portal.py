"""Issue 4's figures: the portal's home and invoice list for one customer with 1,000 invoices; issue
16's: an invoice's PDF drawn and kept, and the cost of one password hash (each sign-in pays it)."""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from remit.billers.models import Biller
from remit.customers.access import portal_sign_up
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoicePdf
from remit.test import portal_login

Row = tuple[str, str, str]
PASSWORD = "bench-portal-password-2026"


def seed_customer(biller: Biller, *, invoices: int = 1000) -> Client:
    customer = Customer.objects.create(biller=biller, name="Portal Bench Inc.", billing_emails=["payer@bench.example"])
    Invoice.objects.bulk_create(
        Invoice(
            biller=biller,
            customer=customer,
            number=f"PB-{n:05d}",
            issue_date=date(2025, 1, 1) + timedelta(days=n % 600),
            due_date=date(2025, 2, 1) + timedelta(days=n % 600),
            subtotal_cents=5000 + n,
            total_cents=5000 + n,
            paid_cents=(5000 + n) if n % 2 else 0,
        )
        for n in range(invoices)
    )
    user = portal_sign_up(
        customer=customer, email="payer@bench.example", password=PASSWORD, confirm=PASSWORD, account_type="business"
    )
    client = Client()
    portal_login(client, user)
    return client


def page_timing(client: Client, path: str, label: str, *, requests: int = 20) -> Row:
    client.get(path)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        reset_queries()  # the log is capped; a full one would count nothing
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    return (label, f"median {statistics.median(timings):.1f} ms over {requests} requests", f"{len(queries)} queries")


def portal_pages(biller: Biller) -> list[Row]:
    client = seed_customer(biller)
    base = f"/{biller.slug}/"
    return [
        page_timing(client, base, "Portal home (1,000 invoices for one customer)"),
        page_timing(client, f"{base}invoices/", "Portal invoice list, first page (same customer)"),
        *pdf_timings(client, biller),
        password_hash_timing(),
    ]


def pdf_timings(client: Client, biller: Biller, *, requests: int = 10) -> list[Row]:
    """The first download of each invoice draws its PDF; later ones get the kept copy."""
    invoices = list(Invoice.objects.filter(biller=biller, customer__name="Portal Bench Inc.")[:requests])
    InvoicePdf.objects.filter(invoice__in=invoices).delete()
    timings = []
    for invoice in invoices:
        started = time.perf_counter()
        response = client.get(f"/{biller.slug}/invoices/{invoice.pk}/pdf")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    drawn = (
        "Portal invoice PDF, first download (drawn)",
        f"median {statistics.median(timings):.1f} ms over {len(timings)} invoices",
        "",
    )
    kept = page_timing(client, f"/{biller.slug}/invoices/{invoices[0].pk}/pdf", "Portal invoice PDF, again (kept)")
    return [drawn, kept]


def password_hash_timing(*, hashes: int = 10) -> Row:
    timings = []
    for _ in range(hashes):
        started = time.perf_counter()
        encoded = make_password(PASSWORD)
        timings.append((time.perf_counter() - started) * 1000)
    parameters = encoded.split("$")[3] if encoded.startswith("argon2$") else encoded.split("$")[0]
    return ("One password hash (each sign-in)", f"median {statistics.median(timings):.1f} ms over {hashes}", parameters)
