"""What the CSV imports of customers and of invoices share: the result and the progress count.

An import checks every row first and collects every problem with its line in the file, so the
biller can fix the whole file at once; only a file without problems is written, all of it or —
if anything changed meanwhile — none of it. Reading the file is ``csv_table.py``; the rules of
each kind of row live with its records (``remit/customers/importer.py``,
``remit/invoices/importer.py``).

Progress: ``progress(done, total)`` counts each data row twice — once when it is checked and once
when it is written — so ``total`` is twice the number of rows and a bar fills evenly without going
back. ``progress_phase`` turns the pair into words for a command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from remit.lib.csv_table import ImportProblem

MAX_PROBLEMS = 1_000
BATCH = 1_000  # rows per INSERT and per IN (…) lookup: far below every database's parameter limit
PROGRESS_EVERY = 500

CHANGED_MEANWHILE = (
    "Someone saved {what} with the same {key} as a row of this file while it was being imported. "
    "Nothing was imported; import the file again to see which row it is."
)

Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    customers_created: int = 0
    invoices_created: int = 0
    lines_created: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    more_problems: int = 0  # found beyond MAX_PROBLEMS: counted, not listed
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more_problems

    def summary(self) -> str:
        if not self.ok:
            return f"Nothing was imported: the file has {_count(self.problem_count, 'problem')}."
        if self.invoices_created:
            text = f"Imported {_count(self.invoices_created, 'invoice')} with {_count(self.lines_created, 'line')}."
        else:
            text = f"Imported {_count(self.customers_created, 'customer')}."
        if self.ignored_columns:
            text += (
                " Columns Remit doesn't use were ignored: " + ", ".join(f"“{c}”" for c in self.ignored_columns) + "."
            )
        return text


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def failed(problems: list[ImportProblem]) -> ImportResult:
    """The result of a file with problems: the first MAX_PROBLEMS in file order, the rest counted."""
    problems = sorted(problems, key=lambda problem: problem.line)  # stable: a row's problems stay in order
    return ImportResult(problems=problems[:MAX_PROBLEMS], more_problems=max(len(problems) - MAX_PROBLEMS, 0))


def progress_phase(done: int, total: int) -> tuple[str, int, int]:
    """(what is happening, rows done in that phase, rows in the file), for a progress bar's words."""
    rows = total // 2
    return ("checking", done, rows) if done <= rows and done < total else ("importing", done - rows, rows)


@dataclass
class Ticker:
    """Counts steps; calls ``progress`` at the start, every PROGRESS_EVERY steps and at the end."""

    callback: Progress | None
    total: int
    done: int = 0
    reported: int = -1

    def step(self, count: int = 1) -> None:
        self.done += count
        if self.done in (0, self.total) or self.done - self.reported >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        """Report where we are now (at the end of a phase)."""
        if self.callback is not None and self.done != self.reported:
            self.reported = self.done
            self.callback(self.done, self.total)
