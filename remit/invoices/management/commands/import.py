"""`remit import customers|invoices FILE --biller SLUG`: the console's CSV import, from a terminal.

The same importer as the console page: every row is checked, and if any has a problem nothing is
imported, each problem is printed with its line, and the command exits with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from remit.billers.models import Biller
from remit.billers.selectors import biller_by_slug, current_slug_for
from remit.customers.importer import import_customers
from remit.invoices.importer import import_invoices
from remit.lib.csv_import import ImportResult, progress_phase

IMPORTERS = {"customers": import_customers, "invoices": import_invoices}


def _plain(text: str) -> str:
    return text


class ProgressBar:
    """``[#####-----]  52% checking 5,200/10,000 rows``: redrawn in place on a terminal; in a log
    (not a terminal), one line per quarter so the log stays short."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out
        self.live = out.isatty()
        self.quarter = -1
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if self.live:
            self.out.write(f"\r{self.render(done, total)}  ", style_func=_plain, ending="")
            self.out.flush()
            self.drawn = True
        elif 4 * done // total > self.quarter:
            self.quarter = 4 * done // total
            self.out.write(self.render(done, total), style_func=_plain)

    @classmethod
    def render(cls, done: int, total: int) -> str:
        phase, rows_done, rows = progress_phase(done, total)
        filled = cls.WIDTH * done // total
        bar = "#" * filled + "-" * (cls.WIDTH - filled)
        return f"[{bar}] {100 * done // total:3d}% {phase} {rows_done:,}/{rows:,} rows"

    def finish(self) -> None:
        if self.drawn:
            self.out.write("", style_func=_plain)  # end the line the bar was redrawn on


class Command(BaseCommand):
    help = "Import customers or invoices from a UTF-8 CSV file. If any row has a problem, nothing is imported."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=sorted(IMPORTERS), help="What the file holds.")
        parser.add_argument("file", type=Path, help="The CSV file; its first line names the columns.")
        parser.add_argument("--biller", required=True, metavar="SLUG", help="The biller's portal address, e.g. acme.")

    def handle(self, *args: Any, **options: Any) -> None:
        biller = self._biller(options["biller"])
        path: Path = options["file"]
        try:
            file = path.open("rb")
        except OSError as error:
            raise CommandError(f"Can't open {path}: {error.strerror}.") from None
        bar = ProgressBar(self.stderr)
        with file:
            result = IMPORTERS[options["what"]](biller=biller, actor=None, file=file, progress=bar)
        bar.finish()
        if not result.ok:
            self._report(result)
            raise CommandError("Nothing was imported.")
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def _biller(self, slug: str) -> Biller:
        biller = biller_by_slug(slug)
        if biller is None:
            moved = current_slug_for(slug)
            hint = f" It is now “{moved}”." if moved else " Use the portal address shown in the console."
            raise CommandError(f"No biller has the portal address “{slug}”.{hint}")
        return biller

    def _report(self, result: ImportResult) -> None:
        for problem in result.problems:
            self.stderr.write(str(problem), style_func=_plain)
        if result.more_problems:
            self.stderr.write(f"…and {result.more_problems:,} more problems.", style_func=_plain)
