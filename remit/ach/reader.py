"""Reading NACHA files strictly (pure: no Django, no database).

Remit reads the bank's return and notification-of-change files with it, and the bank simulator reads
Remit's outbound files. It accepts a file only when it is entirely right: every record 94 printable
ASCII characters (a line may end in "\\r\\n"; blank lines at the very end are ignored), records in
order, every field well formed, and the batch and file controls matching what the records add up to,
padding included. The first problem, by line, is reported as ``NachaFormatError(line, reason)``.

SEC codes read: PPD, CCD, WEB, TEL (the standard entry layout) and COR. Other layouts (IAT, CTX,
ADV, …) are refused rather than misread. Alphanumeric fields are returned without trailing spaces;
the file header's immediate destination and origin exactly as written (10 characters).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time

from remit.ach.nacha import (
    CREDIT_CODES,
    DEBIT_CODES,
    HASH_MODULUS,
    PADDING_RECORD,
    RECORD_LENGTH,
    RETURN_CODES,
    SERVICE_CLASSES,
    CorrectionAddenda,
    NachaError,
    ReturnAddenda,
    check_amount,
    check_routing,
    needs_payment_type,
)

__all__ = [
    "AchFile",
    "CorrectionAddenda",
    "NachaFormatError",
    "ParsedAddenda",
    "ParsedBatch",
    "ParsedBatchControl",
    "ParsedBatchHeader",
    "ParsedEntry",
    "ParsedFileControl",
    "ParsedFileHeader",
    "PaymentAddenda",
    "ReturnAddenda",
    "read_file",
]

RECORD_NAMES = {
    "1": "a file header (1)",
    "5": "a batch header (5)",
    "6": "an entry detail (6)",
    "7": "an addenda (7)",
    "8": "a batch control (8)",
    "9": "a file control (9)",
}
READABLE_SEC_CODES = frozenset({"PPD", "CCD", "WEB", "TEL", "COR"})
_PRINTABLE = re.compile(r"[ -~]*")
_RETURN_REASON = re.compile(r"R[0-9]{2}")
_CHANGE_CODE = re.compile(r"C[0-9]{2}")


class NachaFormatError(NachaError):
    """The file is not a valid NACHA file: ``line`` (1-based) is where the first problem is."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class ParsedFileHeader:
    immediate_destination: str  # 10 characters as written, e.g. " 011000015"
    immediate_origin: str  # 10 characters as written
    creation_date: date
    creation_time: time | None  # optional in NACHA: None when blank
    file_id_modifier: str
    destination_name: str
    origin_name: str
    reference_code: str


@dataclass(frozen=True)
class ParsedBatchHeader:
    line: int
    service_class: int
    company_name: str
    discretionary: str
    company_id: str
    sec_code: str
    entry_description: str
    descriptive_date: str
    effective_date: date
    settlement_date: str  # a Julian day filled in by the ACH operator, or "" (blank)
    originator_status: str
    odfi_identification: str  # 8 digits: the routing number without its check digit
    batch_number: int


@dataclass(frozen=True)
class PaymentAddenda:
    """Addenda type 05: payment-related information."""

    information: str
    sequence: int
    entry_sequence: str  # the last 7 digits of its entry's trace number


ParsedAddenda = PaymentAddenda | ReturnAddenda | CorrectionAddenda


@dataclass(frozen=True)
class ParsedEntry:
    line: int
    transaction_code: int
    routing_number: str  # 9 digits: the 8-digit RDFI identification and its check digit
    account_number: str
    amount_cents: int
    individual_id: str
    individual_name: str
    discretionary: str  # for WEB the payment type, "R" or "S"
    trace_number: str
    addenda: tuple[ParsedAddenda, ...]

    @property
    def is_debit(self) -> bool:
        return self.transaction_code in DEBIT_CODES

    @property
    def return_addenda(self) -> ReturnAddenda | None:
        return next((a for a in self.addenda if isinstance(a, ReturnAddenda)), None)

    @property
    def correction(self) -> CorrectionAddenda | None:
        return next((a for a in self.addenda if isinstance(a, CorrectionAddenda)), None)


@dataclass(frozen=True)
class ParsedBatchControl:
    line: int
    service_class: int
    entry_addenda_count: int
    entry_hash: int
    total_debit_cents: int
    total_credit_cents: int
    company_id: str
    message_authentication_code: str
    odfi_identification: str
    batch_number: int


@dataclass(frozen=True)
class ParsedBatch:
    header: ParsedBatchHeader
    entries: tuple[ParsedEntry, ...]
    control: ParsedBatchControl


@dataclass(frozen=True)
class ParsedFileControl:
    line: int
    batch_count: int
    block_count: int
    entry_addenda_count: int
    entry_hash: int
    total_debit_cents: int
    total_credit_cents: int


@dataclass(frozen=True)
class AchFile:
    header: ParsedFileHeader
    batches: tuple[ParsedBatch, ...]
    control: ParsedFileControl
    record_count: int  # including the 9-padding
    # The file's identity: the SHA-256 of its records, each followed by "\n". The same records with
    # "\r\n" endings, without a final newline or with blank lines after it are the same file.
    records_sha256: str


def read_file(text: str) -> AchFile:
    """Parse and check a whole NACHA file; raises NachaFormatError at the first problem."""
    lines = _Lines(text)
    header = _file_header(*lines.take("1"))
    batches: list[ParsedBatch] = []
    while lines.peek() == "5":
        batches.append(_batch(lines, previous_batch_number=batches[-1].header.batch_number if batches else 0))
    control = _file_control(*lines.take("59"), batches, records_before_padding=lines.taken)
    _padding(lines, control.block_count)
    return AchFile(
        header=header,
        batches=tuple(batches),
        control=control,
        record_count=lines.taken,
        records_sha256=hashlib.sha256("".join(f"{record}\n" for record in lines.lines).encode("ascii")).hexdigest(),
    )


class _Lines:
    """The file's records, taken one at a time in order; ``taken`` is also the last line number."""

    def __init__(self, text: str) -> None:
        lines = text.split("\n")
        while lines and lines[-1] in ("", "\r"):  # the final newline, and blank lines after it
            lines.pop()
        self.lines = [line.removesuffix("\r") for line in lines]
        self.taken = 0

    def peek(self) -> str | None:
        """The record type of the next line, unchecked; None at the end of the file."""
        return self.lines[self.taken][:1] if self.taken < len(self.lines) else None

    def take(self, allowed: str, *, missing: str | None = None) -> tuple[int, str]:
        """The next record, which must be one of the ``allowed`` record types. ``missing`` replaces
        the reason given when it is another type or the file ends."""
        number = self.taken + 1
        expected = " or ".join(RECORD_NAMES[kind] for kind in allowed)
        if self.taken == len(self.lines):
            raise NachaFormatError(number, missing or f"the file ends where {expected} should be")
        record = self.lines[self.taken]
        _check_characters(number, record)
        kind = record[0]
        if kind not in RECORD_NAMES:
            raise NachaFormatError(number, f"unknown record type {kind!r}")
        if kind not in allowed:
            raise NachaFormatError(number, missing or f"{RECORD_NAMES[kind]} is out of order: expected {expected}")
        self.taken += 1
        return number, record


def _check_characters(number: int, record: str) -> None:
    if len(record) != RECORD_LENGTH:
        raise NachaFormatError(number, f"the record is {len(record)} characters long; every record is 94")
    if not _PRINTABLE.fullmatch(record):
        position, char = next((i, c) for i, c in enumerate(record, start=1) if not " " <= c <= "~")
        raise NachaFormatError(number, f"position {position} holds {char!r}, which is not printable ASCII")


# Fields, by the 1-based, inclusive positions of NACHA.md.


def _text(record: str, first: int, last: int) -> str:
    return record[first - 1 : last].rstrip()


def _number(number: int, record: str, first: int, last: int, what: str) -> int:
    value = record[first - 1 : last]
    if not value.isdigit():
        raise NachaFormatError(number, f"{what} (positions {first}-{last}) is not numeric: {value!r}")
    return int(value)


def _digits(number: int, record: str, first: int, last: int, what: str) -> str:
    """A numeric identifier (routing, trace), kept as text so that its leading zeros stay."""
    _number(number, record, first, last, what)
    return record[first - 1 : last]


def _constant(number: int, record: str, first: int, last: int, what: str, expected: str) -> None:
    value = record[first - 1 : last]
    if value != expected:
        raise NachaFormatError(number, f"{what} (positions {first}-{last}) is {value!r}, not {expected!r}")


def _date(number: int, record: str, first: int, last: int, what: str) -> date:
    value = record[first - 1 : last]
    try:
        if not value.isdigit():  # strptime alone would take " 1" for a day
            raise ValueError(value)
        return datetime.strptime(value, "%y%m%d").date()
    except ValueError:
        raise NachaFormatError(number, f"{what} (positions {first}-{last}) is not a date YYMMDD: {value!r}") from None


def _required(number: int, value: str, what: str) -> str:
    if not value.strip():
        raise NachaFormatError(number, f"{what} is blank")
    return value


# Records.


def _file_header(number: int, record: str) -> ParsedFileHeader:
    _constant(number, record, 2, 3, "priority code", "01")
    creation_date = _date(number, record, 24, 29, "creation date")
    raw_time = record[29:33]
    try:
        if raw_time != "    " and not raw_time.isdigit():
            raise ValueError(raw_time)
        creation_time = None if raw_time == "    " else datetime.strptime(raw_time, "%H%M").time()
    except ValueError:
        raise NachaFormatError(number, f"creation time (positions 30-33) is not HHMM: {raw_time!r}") from None
    modifier = record[33]
    if not ("A" <= modifier <= "Z" or "0" <= modifier <= "9"):
        raise NachaFormatError(number, f"file ID modifier {modifier!r} is not one of A-Z, 0-9")
    _constant(number, record, 35, 37, "record size", "094")
    _constant(number, record, 38, 39, "blocking factor", "10")
    _constant(number, record, 40, 40, "format code", "1")
    return ParsedFileHeader(
        immediate_destination=_required(number, record[3:13], "immediate destination"),
        immediate_origin=_required(number, record[13:23], "immediate origin"),
        creation_date=creation_date,
        creation_time=creation_time,
        file_id_modifier=modifier,
        destination_name=_text(record, 41, 63),
        origin_name=_text(record, 64, 86),
        reference_code=_text(record, 87, 94),
    )


def _batch(lines: _Lines, *, previous_batch_number: int) -> ParsedBatch:
    header = _batch_header(*lines.take("5"), previous_batch_number=previous_batch_number)
    entries = [_entry_with_addenda(lines, header, previous_trace="")]
    while lines.peek() == "6":
        entries.append(_entry_with_addenda(lines, header, previous_trace=entries[-1].trace_number))
    control = _batch_control(*lines.take("68"), header, entries)
    return ParsedBatch(header=header, entries=tuple(entries), control=control)


def _batch_header(number: int, record: str, *, previous_batch_number: int) -> ParsedBatchHeader:
    service_class = _number(number, record, 2, 4, "service class")
    if service_class not in SERVICE_CLASSES:
        raise NachaFormatError(number, f"service class {service_class} is not one of 200, 220, 225")
    sec_code = record[50:53]
    if sec_code not in READABLE_SEC_CODES:
        raise NachaFormatError(number, f"SEC code {sec_code!r} is not one this reader reads (PPD, CCD, WEB, TEL, COR)")
    effective_date = _date(number, record, 70, 75, "effective entry date")
    settlement_date = record[75:78]
    if settlement_date != "   " and not settlement_date.isdigit():
        raise NachaFormatError(
            number, f"settlement date (positions 76-78) is not blank or a Julian day: {settlement_date!r}"
        )
    if record[78] not in "12":
        raise NachaFormatError(number, f"originator status code {record[78]!r} is not 1 or 2")
    odfi = _digits(number, record, 80, 87, "ODFI identification")
    batch_number = _number(number, record, 88, 94, "batch number")
    if batch_number <= previous_batch_number:
        raise NachaFormatError(
            number, f"batch number {batch_number} does not ascend (the previous batch was {previous_batch_number})"
        )
    return ParsedBatchHeader(
        line=number,
        service_class=service_class,
        company_name=_required(number, _text(record, 5, 20), "company name"),
        discretionary=_text(record, 21, 40),
        company_id=_required(number, _text(record, 41, 50), "company identification"),
        sec_code=sec_code,
        entry_description=_required(number, _text(record, 54, 63), "company entry description"),
        descriptive_date=_text(record, 64, 69),
        effective_date=effective_date,
        settlement_date=settlement_date.strip(),
        originator_status=record[78],
        odfi_identification=odfi,
        batch_number=batch_number,
    )


def _entry_with_addenda(lines: _Lines, batch: ParsedBatchHeader, *, previous_trace: str) -> ParsedEntry:
    number, record = lines.take("6", missing="a batch header must be followed by at least one entry detail (6)")
    entry = _entry(number, record, batch, previous_trace=previous_trace)
    indicator = record[78]
    if indicator == "1":
        after = f"the entry on line {number} has addenda indicator 1, so an addenda (7) must follow"
        entry = replace(entry, addenda=(_addenda(*lines.take("7", missing=after), entry, batch),))
    if lines.peek() == "7":
        reason = "its entry has addenda indicator 0" if indicator == "0" else "an entry carries at most one addenda"
        raise NachaFormatError(lines.taken + 1, f"unexpected addenda record: {reason}")
    return entry


def _entry(number: int, record: str, batch: ParsedBatchHeader, *, previous_trace: str) -> ParsedEntry:
    code = _number(number, record, 2, 3, "transaction code")
    if code not in DEBIT_CODES | CREDIT_CODES:
        raise NachaFormatError(number, f"transaction code {code:02d} is not supported")
    if batch.service_class == 225 and code in CREDIT_CODES:
        raise NachaFormatError(number, f"a credit (transaction code {code}) in a debits-only (225) batch")
    if batch.service_class == 220 and code in DEBIT_CODES:
        raise NachaFormatError(number, f"a debit (transaction code {code}) in a credits-only (220) batch")
    routing = _digits(number, record, 4, 12, "RDFI routing number")
    amount = _number(number, record, 30, 39, "amount")
    trace = _digits(number, record, 80, 94, "trace number")
    try:
        check_routing(routing, "RDFI routing number")
        check_amount(code, amount)
    except NachaError as error:
        raise NachaFormatError(number, str(error)) from None
    if record[78] not in "01":
        raise NachaFormatError(number, f"addenda record indicator {record[78]!r} is not 0 or 1")
    if trace <= previous_trace:
        raise NachaFormatError(
            number, f"trace number {trace} does not ascend within the batch (after {previous_trace})"
        )
    discretionary = _text(record, 77, 78)
    if needs_payment_type(batch.sec_code, code) and discretionary not in ("R", "S"):
        raise NachaFormatError(number, f"WEB payment type (positions 77-78) is {record[76:78]!r}, not 'R ' or 'S '")
    if batch.sec_code == "COR" and (code not in RETURN_CODES or amount != 0):
        raise NachaFormatError(
            number, "a COR entry (notification of change) has transaction code 21/26/31/36 and amount 0"
        )
    if _addenda_kind(code, batch) != "05" and record[78] != "1":
        raise NachaFormatError(number, f"a {_ADDENDA_NAMES[_addenda_kind(code, batch)]} needs its addenda: indicator 1")
    return ParsedEntry(
        line=number,
        transaction_code=code,
        routing_number=routing,
        account_number=_required(number, _text(record, 13, 29), "DFI account number").strip(),
        amount_cents=amount,
        individual_id=_text(record, 40, 54),
        individual_name=_text(record, 55, 76),
        discretionary=discretionary,
        trace_number=trace,
        addenda=(),
    )


_ADDENDA_NAMES = {"05": "payment entry", "98": "notification of change", "99": "return entry"}


def _addenda_kind(code: int, batch: ParsedBatchHeader) -> str:
    """The addenda type an entry may carry: 98 in a COR batch, 99 on a return, else 05."""
    if batch.sec_code == "COR":
        return "98"
    return "99" if code in RETURN_CODES else "05"


def _addenda(number: int, record: str, entry: ParsedEntry, batch: ParsedBatchHeader) -> ParsedAddenda:
    kind, expected = record[1:3], _addenda_kind(entry.transaction_code, batch)
    if kind not in ("05", "98", "99"):
        raise NachaFormatError(number, f"addenda type {kind!r} is not one this reader reads (05, 98, 99)")
    if kind != expected:
        raise NachaFormatError(number, f"a {_ADDENDA_NAMES[expected]} takes an addenda {expected}, not {kind}")
    if kind == "05":
        _constant(number, record, 84, 87, "addenda sequence number", "0001")
        _constant(number, record, 88, 94, "entry detail sequence number", entry.trace_number[-7:])
        return PaymentAddenda(information=_text(record, 4, 83), sequence=1, entry_sequence=record[87:94])
    original_trace = _digits(number, record, 7, 21, "original entry trace number")
    original_rdfi = _digits(number, record, 28, 35, "original receiving DFI identification")
    _constant(number, record, 80, 94, "addenda trace number (the entry's)", entry.trace_number)
    if kind == "99":
        reason = record[3:6]
        if not _RETURN_REASON.fullmatch(reason):
            raise NachaFormatError(number, f"return reason code {reason!r} is not R and two digits")
        death = record[21:27]
        return ReturnAddenda(
            reason_code=reason,
            original_trace=original_trace,
            date_of_death=None if death == "      " else _date(number, record, 22, 27, "date of death"),
            original_rdfi=original_rdfi,
            information=_text(record, 36, 79),
            trace=entry.trace_number,
        )
    change = record[3:6]
    if not _CHANGE_CODE.fullmatch(change):
        raise NachaFormatError(number, f"change code {change!r} is not C and two digits")
    return CorrectionAddenda(
        change_code=change,
        original_trace=original_trace,
        original_rdfi=original_rdfi,
        corrected_data=_required(number, _text(record, 36, 64), "corrected data"),
        trace=entry.trace_number,
    )


def _batch_control(
    number: int, record: str, header: ParsedBatchHeader, entries: list[ParsedEntry]
) -> ParsedBatchControl:
    control = ParsedBatchControl(
        line=number,
        service_class=_number(number, record, 2, 4, "service class"),
        entry_addenda_count=_number(number, record, 5, 10, "entry/addenda count"),
        entry_hash=_number(number, record, 11, 20, "entry hash"),
        total_debit_cents=_number(number, record, 21, 32, "total debits"),
        total_credit_cents=_number(number, record, 33, 44, "total credits"),
        company_id=_text(record, 45, 54),
        message_authentication_code=_text(record, 55, 73),
        odfi_identification=record[79:87],
        batch_number=_number(number, record, 88, 94, "batch number"),
    )
    _compare(number, "service class", control.service_class, header.service_class, "its batch header says")
    _compare(
        number,
        "entry/addenda count",
        control.entry_addenda_count,
        _count(entries),
        "the batch's entries and addenda number",
    )
    _compare(number, "entry hash", control.entry_hash, _hash(entries), "the entries' RDFI identifications add up to")
    _compare(number, "total debits", control.total_debit_cents, _debits(entries), "the batch's debits add up to")
    _compare(number, "total credits", control.total_credit_cents, _credits(entries), "the batch's credits add up to")
    _compare(number, "company identification", control.company_id, header.company_id, "its batch header says")
    _compare(
        number, "ODFI identification", control.odfi_identification, header.odfi_identification, "its batch header says"
    )
    _compare(number, "batch number", control.batch_number, header.batch_number, "its batch header says")
    return control


def _file_control(
    number: int, record: str, batches: list[ParsedBatch], *, records_before_padding: int
) -> ParsedFileControl:
    control = ParsedFileControl(
        line=number,
        batch_count=_number(number, record, 2, 7, "batch count"),
        block_count=_number(number, record, 8, 13, "block count"),
        entry_addenda_count=_number(number, record, 14, 21, "entry/addenda count"),
        entry_hash=_number(number, record, 22, 31, "entry hash"),
        total_debit_cents=_number(number, record, 32, 43, "total debits"),
        total_credit_cents=_number(number, record, 44, 55, "total credits"),
    )
    entries = [entry for batch in batches for entry in batch.entries]
    blocks = -(-records_before_padding // 10)  # ceil
    _compare(number, "batch count", control.batch_count, len(batches), "the file has")
    _compare(
        number, "block count", control.block_count, blocks, f"{records_before_padding} records in blocks of 10 make"
    )
    _compare(
        number,
        "entry/addenda count",
        control.entry_addenda_count,
        _count(entries),
        "the file's entries and addenda number",
    )
    _compare(number, "entry hash", control.entry_hash, _hash(entries), "the entries' RDFI identifications add up to")
    _compare(number, "total debits", control.total_debit_cents, _debits(entries), "the file's debits add up to")
    _compare(number, "total credits", control.total_credit_cents, _credits(entries), "the file's credits add up to")
    return control


def _padding(lines: _Lines, block_count: int) -> None:
    while lines.taken < len(lines.lines):
        number, record = lines.taken + 1, lines.lines[lines.taken]
        _check_characters(number, record)
        if record != PADDING_RECORD:
            raise NachaFormatError(number, "after the file control only padding records (94 nines) may follow")
        if number > block_count * 10:
            raise NachaFormatError(number, f"padding goes beyond the {block_count * 10} records of the block count")
        lines.taken += 1
    if lines.taken != block_count * 10:
        raise NachaFormatError(
            lines.taken + 1,
            f"the file ends after {lines.taken} records; padding must bring it to {block_count * 10}",
        )


def _compare(number: int, what: str, found: int | str, expected: int | str, source: str) -> None:
    """``source`` says where the expected value comes from, e.g. "its batch header says"."""
    if found != expected:
        raise NachaFormatError(number, f"{what} is {found}, but {source} {expected}")


def _count(entries: list[ParsedEntry]) -> int:
    return sum(1 + len(entry.addenda) for entry in entries)


def _hash(entries: list[ParsedEntry]) -> int:
    return sum(int(entry.routing_number[:8]) for entry in entries) % HASH_MODULUS


def _debits(entries: list[ParsedEntry]) -> int:
    return sum(entry.amount_cents for entry in entries if entry.transaction_code in DEBIT_CODES)


def _credits(entries: list[ParsedEntry]) -> int:
    return sum(entry.amount_cents for entry in entries if entry.transaction_code in CREDIT_CODES)
