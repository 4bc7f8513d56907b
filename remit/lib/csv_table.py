"""Reading a CSV file that people made in a spreadsheet: its text, its header and its rows (no database).

Columns are found by their header, whatever its case and punctuation, under any of a few names
people use for them. Each row keeps the line of the file it started on, so every message can
say where to look.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import IO

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
NOT_UTF8 = "The file is not UTF-8 text. In Excel choose “CSV UTF-8 (Comma delimited)” when saving."


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file. ``line`` counts the header as 1; 0 means the whole file."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(part for part in [f"line {self.line}" if self.line else "", self.field] if part)
        return f"{where}: {self.message}" if where else self.message


def normalize(header: str) -> str:
    """ "Customer_Reference", "customer-reference" and "CUSTOMER REFERENCE" name the same column."""
    return re.sub(r"[^0-9a-z]", "", header.lower())


@dataclass(frozen=True)
class Column:
    key: str  # where the value goes
    label: str  # how messages name the column when the file has none
    aliases: tuple[str, ...]  # headers that mean this column, as people write them
    required: bool = False

    @property
    def other_names(self) -> list[str]:
        return [alias for alias in self.aliases if alias != self.label]

    def matches(self, header: str) -> bool:
        return normalize(header) in {normalize(alias) for alias in self.aliases}


@dataclass(frozen=True)
class Layout:
    what: str
    columns: tuple[Column, ...]
    one_of: tuple[str, ...] = ()  # keys of columns of which the file needs at least one
    one_of_why: str = ""  # ", to say …", ending the message when none of them is there

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)


@dataclass
class Row:
    line: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass
class Table:
    """The file's rows, each value under its column's key, and the file's own name for each column."""

    layout: Layout
    positions: dict[str, int] = field(default_factory=dict)  # column key → index in a record
    headers: dict[str, str] = field(default_factory=dict)  # column key → the header as the file spells it
    ignored: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    def label(self, key: str) -> str:
        return self.headers.get(key) or self.layout.column(key).label


class FileProblem(ValueError):
    """The file can't be imported at all, whatever its rows say."""

    def __init__(self, *problems: ImportProblem) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = list(problems)

    @classmethod
    def whole(cls, message: str, line: int = 0) -> FileProblem:
        return cls(ImportProblem(line, "", message))


# --- Reading the file ------------------------------------------------------------------------------


def read_text(file: bytes | IO[bytes]) -> str:
    """The file's text: UTF-8, with or without Excel's byte-order mark, at most MAX_BYTES."""
    data = file if isinstance(file, bytes) else file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FileProblem.whole(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB. Split it into smaller files.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem.whole(NOT_UTF8) from None
    # UTF-16 text of plain letters decodes as UTF-8 with a NUL after each letter; no CSV holds NULs.
    if "\x00" in text:
        raise FileProblem.whole(NOT_UTF8)
    if not text.strip():
        raise FileProblem.whole("The file is empty. Its first line must name the columns, then one row per record.")
    return text


def _delimiter(first_line: str) -> str:
    """A comma, unless the header is clearly split by semicolons or tabs (Excel in some countries)."""
    counts = {",": first_line.count(","), ";": first_line.count(";"), "\t": first_line.count("\t")}
    return max(counts, key=lambda separator: (counts[separator], separator == ","))


def read_table(text: str, layout: Layout) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        table = _map_header(next(reader), layout)
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1  # a quoted cell may span lines: name the first
            if not any(cell.strip() for cell in record):
                continue  # blank lines, and the rows of empty cells Excel leaves at the end of a sheet
            if len(table.rows) == MAX_ROWS:
                raise FileProblem.whole(f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files.")
            values = {key: record[i].strip() if i < len(record) else "" for key, i in table.positions.items()}
            table.rows.append(Row(start, values))
    except csv.Error as error:
        message = f"This line can't be read as CSV ({error}). Look for a stray quote mark (\")."
        raise FileProblem.whole(message, reader.line_num) from None
    if not table.rows:
        raise FileProblem.whole("The file has only its header line. Add one row per record below it.")
    return table


def _map_header(header: list[str], layout: Layout) -> Table:
    table = Table(layout)
    problems: list[ImportProblem] = []
    for index, name in enumerate(cell.strip() for cell in header):
        column = next((column for column in layout.columns if column.matches(name)), None)
        if column is None:
            if name:
                table.ignored.append(name)
        elif column.key in table.positions:
            message = f"“{table.headers[column.key]}” and “{name}” both mean {column.label}. Keep one of them."
            problems.append(ImportProblem(1, name, message))
        else:
            table.positions[column.key], table.headers[column.key] = index, name
    for column in layout.columns:
        if column.required and column.key not in table.positions:
            message = f"The file has no “{column.label}” column. The first line must name the columns."
            problems.append(ImportProblem(1, column.label, message))
    if layout.one_of and not table.positions.keys() & set(layout.one_of):
        names = " or ".join(f"“{layout.column(key).label}”" for key in layout.one_of)
        problems.append(
            ImportProblem(1, "", f"The file needs a {names} column, to say which customer each row is for.")
        )
    if problems:
        raise FileProblem(*problems)
    return table
