"""`remit bench` (what `make bench` runs): build a throwaway database, measure, print a table.

The command the operator runs only makes a temporary folder and runs itself again, with `--folder`,
as a child whose `REMIT_DATA_DIR` is that folder (folder.py); the child measures."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from remit.bench import ach, api, autopay, invoicing, paying, portal, reminders
from remit.bench.database import bench_database
from remit.bench.folder import keep_interrupts, run_in_temporary_folder
from remit.notifications import actions as notifications_actions

Row = tuple[str, str, str]
# The benchmarks by name, in the order they run; `--only` picks some of them.
BENCHMARKS = ("invoices", "import", "portal", "paying", "autopay", "reminders", "ach", "api")
# These measure on the biller (and its 100,000 invoices) that the invoice-list benchmark seeds.
ON_SEEDED_INVOICES = {"invoices", "import", "portal", "paying"}
SIZES = (
    "invoices",
    "import_rows",
    "parallel_seconds",
    "autopay_invoices",
    "reminder_invoices",
    "ach_payments",
    "ach_returns",
    "api_seconds",
)


def benchmark_names(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown) or raw!r}: choose among {', '.join(BENCHMARKS)}")
    return names


class Command(BaseCommand):
    help = "Run the benchmarks on a throwaway database and print their figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only",
            type=benchmark_names,
            default=BENCHMARKS,
            metavar="NAMES",
            help=f"Run only these benchmarks (comma-separated: {', '.join(BENCHMARKS)}).",
        )
        parser.add_argument("--invoices", type=int, default=100_000, help="Invoices in the list benchmark.")
        parser.add_argument("--import-rows", type=int, default=10_000, help="Rows in the CSV import benchmark.")
        parser.add_argument("--parallel-seconds", type=float, default=30.0, help="How long the 20 payers pay.")
        parser.add_argument(
            "--autopay-invoices",
            type=int,
            default=100_000,
            help="Open invoices in the Auto Pay sweep benchmark (one customer account per 10, half with Auto Pay on).",
        )
        parser.add_argument(
            "--reminder-invoices",
            type=int,
            default=100_000,
            help="Open invoices in the reminder round benchmark (one customer account per 10).",
        )
        parser.add_argument("--ach-payments", type=int, default=100_000, help="Scheduled payments in the ACH export.")
        parser.add_argument("--ach-returns", type=int, default=10_000, help="Returns in the return-file import.")
        parser.add_argument("--api-seconds", type=float, default=20.0, help="How long the API clients run.")
        # Given by the run itself to its child process: the temporary folder it works in (folder.py).
        parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["folder"] is None:
            status = run_in_temporary_folder(self._command(options))
            if status:
                sys.exit(status)  # the run has said why
            return
        folder = options["folder"].resolve()
        if folder != Path(settings.DATA_DIR).resolve():
            raise CommandError("--folder is for `remit bench` itself: run `remit bench` without it.")
        keep_interrupts()
        # The benchmarks measure Remit's own work; emails are written to the outbox as always, but no
        # worker is asked to deliver them (a running worker would look for them in the wrong database).
        notifications_actions._request_delivery = lambda email_id: None
        with bench_database(folder) as url:
            self.stderr.write(f"Benchmarking on {connection.vendor} ({url.split('@')[-1]})…")
            rows = self._measure(url, set(options["only"]), options)
        self._print(rows, vendor=connection.vendor)

    def _command(self, options: dict[str, Any]) -> list[str]:
        """This command again, with the same choices, for the process that runs the benchmarks."""
        command = [sys.executable, "-m", "remit", "bench", "--only", ",".join(options["only"])]
        for size in SIZES:
            command += [f"--{size.replace('_', '-')}", str(options[size])]
        return command

    def _measure(self, url: str, only: set[str], options: dict[str, Any]) -> list[Row]:
        rows: list[Row] = []
        if only & ON_SEEDED_INVOICES:
            started = time.perf_counter()
            biller, owner = invoicing.seed_invoices(count=options["invoices"])
            self.stderr.write(f"  seeded {options['invoices']:,} invoices in {time.perf_counter() - started:.1f} s")
            if "invoices" in only:
                rows.append(invoicing.invoice_list_first_page(biller, owner))
            if "import" in only:
                rows.append(invoicing.import_csv(url, biller, rows=options["import_rows"]))
            if "portal" in only:
                rows += portal.portal_pages(biller)
            if "paying" in only:
                rows.append(paying.schedule_across_1000(biller))
                rows.append(paying.parallel_payers(biller, seconds=options["parallel_seconds"]))
        if "autopay" in only:
            rows += autopay.sweeps(url, invoices=options["autopay_invoices"])
        if "reminders" in only:
            rows += reminders.rounds(url, invoices=options["reminder_invoices"])
        if "ach" in only:
            rows += ach.export_and_returns(url, payments=options["ach_payments"], returns=options["ach_returns"])
        if "api" in only:
            rows += api.invoice_creation(url, seconds=options["api_seconds"])
        return rows

    def _print(self, rows: list[Row], *, vendor: str) -> None:
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write(f"\nRemit benchmarks ({vendor})")
        line = "+".join("-" * (w + 2) for w in widths)
        self.stdout.write(f"+{line}+")
        for row in rows:
            self.stdout.write("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        self.stdout.write(f"+{line}+")
