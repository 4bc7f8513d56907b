"""`remit bench` (what `make bench` runs): build a throwaway database, measure, print a table."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from remit.bench import ach, api, autopay, invoicing, paying, portal
from remit.bench.database import bench_database
from remit.notifications import actions as notifications_actions


class Command(BaseCommand):
    help = "Run the benchmarks on a throwaway database and print their figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--invoices", type=int, default=100_000, help="Invoices in the list benchmark.")
        parser.add_argument("--import-rows", type=int, default=10_000, help="Rows in the CSV import benchmark.")
        parser.add_argument("--parallel-seconds", type=float, default=30.0, help="How long the 20 payers pay.")
        parser.add_argument(
            "--autopay-invoices",
            type=int,
            default=100_000,
            help="Open invoices in the Auto Pay sweep benchmark (one customer account per 10, half with Auto Pay on).",
        )
        parser.add_argument("--ach-payments", type=int, default=100_000, help="Scheduled payments in the ACH export.")
        parser.add_argument("--ach-returns", type=int, default=10_000, help="Returns in the return-file import.")
        parser.add_argument("--api-seconds", type=float, default=20.0, help="How long the API clients run.")

    def handle(self, *args: Any, **options: Any) -> None:
        rows: list[tuple[str, str, str]] = []
        # The benchmarks measure Remit's own work; emails are written to the outbox as always, but no
        # worker is asked to deliver them (a running worker would look for them in the wrong database).
        notifications_actions._request_delivery = lambda email_id: None
        with bench_database() as url:
            self.stderr.write(f"Benchmarking on {connection.vendor} ({url.split('@')[-1]})…")
            started = time.perf_counter()
            biller, owner = invoicing.seed_invoices(count=options["invoices"])
            self.stderr.write(f"  seeded {options['invoices']:,} invoices in {time.perf_counter() - started:.1f} s")
            rows.append(invoicing.invoice_list_first_page(biller, owner))
            rows.append(invoicing.import_csv(url, biller, rows=options["import_rows"]))
            rows += portal.portal_pages(biller)
            rows.append(paying.schedule_across_1000(biller))
            rows.append(paying.parallel_payers(biller, seconds=options["parallel_seconds"]))
            rows += autopay.sweeps(url, invoices=options["autopay_invoices"])
            rows += ach.export_and_returns(url, payments=options["ach_payments"], returns=options["ach_returns"])
            rows += api.invoice_creation(url, seconds=options["api_seconds"])
        self._print(rows, vendor=connection.vendor)

    def _print(self, rows: list[tuple[str, str, str]], *, vendor: str) -> None:
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write(f"\nRemit benchmarks ({vendor})")
        line = "+".join("-" * (w + 2) for w in widths)
        self.stdout.write(f"+{line}+")
        for row in rows:
            self.stdout.write("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        self.stdout.write(f"+{line}+")
