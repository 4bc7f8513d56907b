"""Reading NACHA files (pure: no Django, no database).

Remit reads the bank's return and notification-of-change files with it, and the bank simulator reads
Remit's outbound files. Banks send these files in more shapes than Remit writes, and the reader takes
every shape moov-io/ach (the reference implementation) reads, because refusing a well-formed return
file leaves the biller's books wrong until someone notices:

- **Framing** (``_Lines``). Records one per line with "\\n", "\\r\\n" or "\\r" endings; or with no line
  breaks at all (records concatenated, often in 940-character blocks of ten), or several records on a
  line whose length is a multiple of 94. A record whose trailing spaces were cut (some transfer
  software trims lines) is read as if they were there; spaces after the 94th character are ignored.
  Blank lines and lines of spaces at the very end are ignored, and so are all-space records after the
  file control. The 9-filler padding may be missing, or cut short; it may not go past the block count.
- **Case.** Codes are read whatever their case ("web", "r01", "c01", a file ID modifier "a", a WEB
  payment type "s"); text fields (names, descriptions) are returned as written.
- **Service class 200** (mixed) batches, as well as 220 and 225.
- **Addenda 99** in its three layouts, told apart by the reason code as moov-io/ach does: a return
  (``ReturnAddenda``), a dishonored return (R61, R67–R70: ``DishonoredAddenda``), a contested
  dishonored return (R71–R77: ``ContestedAddenda``). Each carries the *original entry's* trace number
  at 7-21; that, not the trace at 80-94, is what a return or a notification of change is matched by.
  The addenda's own trace (80-94) is usually its entry's, but banks send NOCs where it is not (moov's
  ``cor-example.ach``), so it is read as written, not required to equal the entry's.
- **SEC codes.** PPD, CCD, WEB, TEL and COR batches are interpreted: one addenda at most per entry,
  05 on a forward entry, 99 on a return, 98 in a COR batch. Any other SEC code (IAT, CTX, PPD's
  cousins…) is another originator's business in a return file: such a batch is read for its
  structure and controls only (entries and any number of addenda of any type, kept as
  ``OtherAddenda``), so that the importer can list it as "not ours" instead of refusing the file. ADV
  batches (automated accounting advices) have other control records and are refused.

What stays strict, because a file that fails it is damaged and must be refused whole: every record
94 printable ASCII characters once framed, records in order, every numeric field numeric, routing
check digits, ascending trace numbers within a batch, ascending batch numbers, and the batch and file
controls (counts, entry hash, totals, block count) matching what the records add up to. The first
problem, by record, is reported as ``NachaFormatError(line, reason)``: ``line`` is the record's line
in the file, or, in a file without line breaks, its place in it (the reason then says which
characters it is).

Alphanumeric fields are returned without trailing spaces; the file header's immediate destination
and origin exactly as written (10 characters).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time

from remit.ach.codes import CONTESTED, DISHONORED
from remit.ach.nacha import (
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
    "CONTESTED_CODES",
    "DISHONORED_CODES",
    "AchFile",
    "ContestedAddenda",
    "CorrectionAddenda",
    "DishonoredAddenda",
    "NachaFormatError",
    "OtherAddenda",
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
INTERPRETED_SEC_CODES = frozenset({"PPD", "CCD", "WEB", "TEL", "COR"})
# The ODFI refused the RDFI's return (dishonored), and the RDFI's answer to that (contested). NACHA
# Operating Rules, Appendix Four; moov-io/ach's IsDishonoredReturnCode / IsContestedReturnCode.
DISHONORED_CODES = DISHONORED
CONTESTED_CODES = CONTESTED
# Transaction codes by their second digit (NACHA Appendix Three): 1-4 credit, 6-9 debit; the first
# digit is the account (2 checking, 3 savings, 4 general ledger, 5 loan).
_ACCOUNT_DIGITS = "2345"
_CREDIT_DIGITS, _DEBIT_DIGITS = "1234", "6789"
_PRINTABLE = re.compile(r"[ -~]*")
_RETURN_REASON = re.compile(r"R[0-9]{2}")
_CHANGE_CODE = re.compile(r"C[0-9]{2}")
_SEC_CODE = re.compile(r"[A-Z]{3}")
_LINE_BREAK = re.compile(r"\r\n|\n|\r")


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
    effective_date: date | None  # None when written 000000 or blank (some NOCs: moov's cor-example.ach)
    settlement_date: str  # a Julian day filled in by the ACH operator, or "" (blank)
    originator_status: str
    odfi_identification: str  # 8 digits: the routing number without its check digit
    batch_number: int
    # PPD, CCD, WEB, TEL, COR: entries and addenda read for what they say. Other SEC codes: read for
    # their structure and controls only (see the module's text).
    interpreted: bool = True


@dataclass(frozen=True)
class PaymentAddenda:
    """Addenda type 05: payment-related information."""

    information: str
    sequence: int
    entry_sequence: str  # the last 7 digits of its entry's trace number


@dataclass(frozen=True)
class DishonoredAddenda:
    """Addenda 99 of a dishonored return (R61, R67–R70): the ODFI refuses the RDFI's return of the
    original entry. Layout (moov-io/ach ``Addenda99Dishonored``): 4-6 code, 7-21 original entry trace,
    28-35 original RDFI, 39-53 the dishonored return's trace, 54-56 its settlement day, 57-58 its
    reason code without the R, 59-79 information, 80-94 trace."""

    reason_code: str
    original_trace: str
    original_rdfi: str
    return_trace: str  # "" when blank
    return_settlement_date: str  # a Julian day, or ""
    return_reason: str  # the dishonored return's code, e.g. "R01"; "" when blank
    information: str
    trace: str


@dataclass(frozen=True)
class ContestedAddenda:
    """Addenda 99 of a contested dishonored return (R71–R77): the RDFI stands by its return. Layout
    (moov-io/ach ``Addenda99Contested``): 4-6 code, 7-21 original entry trace, 22-27 date the original
    entry was returned, 28-35 original RDFI, 36-38 original settlement day, 39-53 return trace, 54-56
    its settlement day, 57-58 its reason code, 59-73 dishonored return trace, 74-76 its settlement
    day, 77-78 its reason code, 80-94 trace."""

    reason_code: str
    original_trace: str
    date_returned: date | None
    original_rdfi: str
    return_trace: str
    return_reason: str  # e.g. "R01"; "" when blank
    dishonored_trace: str
    dishonored_reason: str  # e.g. "R68"; "" when blank
    trace: str


@dataclass(frozen=True)
class OtherAddenda:
    """An addenda of a batch the reader does not interpret (IAT, CTX…): its type and its text."""

    type_code: str
    text: str


ParsedAddenda = PaymentAddenda | ReturnAddenda | CorrectionAddenda | DishonoredAddenda | ContestedAddenda | OtherAddenda
# What a bank's answer about an original entry carries: a return of any kind or a notification of change.
Answer = ReturnAddenda | CorrectionAddenda | DishonoredAddenda | ContestedAddenda


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
        return _is_debit(self.transaction_code)

    @property
    def return_addenda(self) -> ReturnAddenda | None:
        """The addenda of a (plain) return; dishonored and contested returns have their own."""
        return next((a for a in self.addenda if isinstance(a, ReturnAddenda)), None)

    @property
    def correction(self) -> CorrectionAddenda | None:
        return next((a for a in self.addenda if isinstance(a, CorrectionAddenda)), None)

    @property
    def dishonored(self) -> DishonoredAddenda | None:
        return next((a for a in self.addenda if isinstance(a, DishonoredAddenda)), None)

    @property
    def contested(self) -> ContestedAddenda | None:
        return next((a for a in self.addenda if isinstance(a, ContestedAddenda)), None)

    @property
    def answer(self) -> Answer | None:
        """What the entry says about an original entry, whichever kind: None for a forward entry."""
        kinds = ReturnAddenda | CorrectionAddenda | DishonoredAddenda | ContestedAddenda
        return next((a for a in self.addenda if isinstance(a, kinds)), None)


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
    record_count: int  # including any 9-padding
    # The file's identity: the SHA-256 of its records up to the file control, each as 94 characters
    # followed by "\n". Framing makes no other file: the same records with "\r\n" endings, without
    # line breaks, with trailing spaces cut, without (or with less) padding, or with blank lines
    # after them are the same file.
    records_sha256: str


def read_file(text: str) -> AchFile:
    """Parse and check a whole NACHA file; raises NachaFormatError at the first problem."""
    lines = _Lines(text)
    try:
        header = _file_header(*lines.take("1"))
        batches: list[ParsedBatch] = []
        while lines.peek() == "5":
            batches.append(_batch(lines, previous_batch_number=batches[-1].header.batch_number if batches else 0))
        control = _file_control(*lines.take("59"), batches, records_before_padding=lines.taken)
        significant = lines.taken
        _padding(lines, control.block_count)
    except NachaFormatError as error:
        raise lines.located(error) from None
    records = lines.records[:significant]
    return AchFile(
        header=header,
        batches=tuple(batches),
        control=control,
        record_count=lines.taken,
        records_sha256=hashlib.sha256("".join(f"{record}\n" for record in records).encode("ascii")).hexdigest(),
    )


@dataclass(frozen=True)
class _Place:
    """Where a record was in the text: its line and the characters of that line it spans (1-based);
    ``short``: the length of a line that was one short record, read with spaces added."""

    line: int
    first: int
    last: int
    short: int | None = None


class _Lines:
    """The file's records, taken one at a time in order; ``taken`` is how many were taken. Framing is
    undone here (see the module's text): the rest of the reader sees 94-character records only.

    A record is named in messages by its line; in a file where a line holds several records (no line
    breaks, or blocks), by its place among the records, and the message says which characters."""

    def __init__(self, text: str) -> None:
        self.records: list[str] = []
        self.places: list[_Place] = []
        lines = _LINE_BREAK.split(text)
        while lines and not lines[-1].strip(" \t"):  # the final newline, blank lines, lines of spaces
            lines.pop()
        for number, line in enumerate(lines, start=1):
            self._add(number, line)
        while len(self.records) > 1 and not self.records[-1].strip():
            self.records.pop()  # all-space records at the end (blocks filled with spaces)
            self.places.pop()
        self.by_record = any(place.first > 1 for place in self.places)
        self.taken = 0

    def _add(self, number: int, line: str) -> None:
        size = len(line)
        if size > RECORD_LENGTH and size % RECORD_LENGTH == 0:  # records without line breaks between them
            for start in range(0, size, RECORD_LENGTH):
                self.records.append(line[start : start + RECORD_LENGTH])
                self.places.append(_Place(number, start + 1, start + RECORD_LENGTH))
        elif size > RECORD_LENGTH and not line[RECORD_LENGTH:].strip(" "):  # spaces after the record
            self.records.append(line[:RECORD_LENGTH])
            self.places.append(_Place(number, 1, RECORD_LENGTH))
        elif 0 < size < RECORD_LENGTH and line[0] in RECORD_NAMES:  # trailing spaces cut: read with them
            self.records.append(line.ljust(RECORD_LENGTH))
            self.places.append(_Place(number, 1, size, short=size))
        else:
            self.records.append(line)  # the wrong length: refused when taken
            self.places.append(_Place(number, 1, size))

    def number(self, index: int) -> int:
        """The number messages give the record at ``index``: see the class's text."""
        return index + 1 if self.by_record else self.places[index].line

    def peek(self) -> str | None:
        """The record type of the next record, unchecked; None at the end of the file."""
        return self.records[self.taken][:1] if self.taken < len(self.records) else None

    def take(self, allowed: str, *, missing: str | None = None) -> tuple[int, str]:
        """The next record, which must be one of the ``allowed`` record types. ``missing`` replaces
        the reason given when it is another type or the file ends."""
        expected = " or ".join(RECORD_NAMES[kind] for kind in allowed)
        if self.taken == len(self.records):
            after = self.number(self.taken - 1) + 1 if self.records else 1
            raise NachaFormatError(after, missing or f"the file ends where {expected} should be")
        number = self.number(self.taken)
        record = self.records[self.taken]
        _check_characters(number, record)
        kind = record[0]
        if kind not in RECORD_NAMES:
            raise NachaFormatError(number, f"unknown record type {kind!r}")
        if kind not in allowed:
            raise NachaFormatError(number, missing or f"{RECORD_NAMES[kind]} is out of order: expected {expected}")
        self.taken += 1
        return number, record

    def located(self, error: NachaFormatError) -> NachaFormatError:
        """``error``, saying where its record is when its number alone does not: a record among others
        on a line, or a short line read with spaces added."""
        index = next((i for i in range(len(self.records)) if self.number(i) == error.line), None)
        if index is None:
            return error
        place = self.places[index]
        if place.short is not None:
            reason = (
                f"the record is {place.short} characters long; every record is 94"
                f" (read with spaces added at the end: {error.reason})"
            )
            return NachaFormatError(error.line, reason)
        if self.by_record:
            where = f"characters {place.first}-{place.last} of line {place.line}"
            return NachaFormatError(error.line, f"{error.reason} (record {index + 1}: {where})")
        return error


def _check_characters(number: int, record: str) -> None:
    if len(record) != RECORD_LENGTH:
        raise NachaFormatError(number, f"the record is {len(record)} characters long; every record is 94")
    if not _PRINTABLE.fullmatch(record):
        position, char = next((i, c) for i, c in enumerate(record, start=1) if not " " <= c <= "~")
        raise NachaFormatError(number, f"position {position} holds {char!r}, which is not printable ASCII")


# Fields, by the 1-based, inclusive positions of NACHA.md.


def _text(record: str, first: int, last: int) -> str:
    return record[first - 1 : last].rstrip()


def _code(record: str, first: int, last: int) -> str:
    """A code field (SEC code, reason code…), read whatever its case."""
    return record[first - 1 : last].upper()


def _number(number: int, record: str, first: int, last: int, what: str) -> int:
    value = record[first - 1 : last]
    if not value.isdigit() or not value.isascii():
        raise NachaFormatError(number, f"{what} (positions {first}-{last}) is not numeric: {value!r}")
    return int(value)


def _digits(number: int, record: str, first: int, last: int, what: str) -> str:
    """A numeric identifier (routing, trace), kept as text so that its leading zeros stay."""
    _number(number, record, first, last, what)
    return record[first - 1 : last]


def _digits_or_blank(number: int, record: str, first: int, last: int, what: str) -> str:
    if not record[first - 1 : last].strip():
        return ""
    return _digits(number, record, first, last, what)


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


def _is_debit(code: int) -> bool:
    return f"{code:02d}"[1] in _DEBIT_DIGITS


def _is_credit(code: int) -> bool:
    return f"{code:02d}"[1] in _CREDIT_DIGITS


def _is_return(code: int) -> bool:
    """An automated return or notification of change: 21, 26, 31, 36 (and 41, 46, 51, 56 for general
    ledger and loan accounts)."""
    return code in RETURN_CODES or code in (41, 46, 51, 56)


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
    modifier = record[33].upper()
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
    sec_code = _code(record, 51, 53)
    if sec_code == "ADV":
        raise NachaFormatError(
            number, "an ADV batch (automated accounting advice) is not part of a return file; this reader refuses it"
        )
    if not _SEC_CODE.fullmatch(sec_code):
        raise NachaFormatError(number, f"SEC code {record[50:53]!r} (positions 51-53) is not three letters")
    interpreted = sec_code in INTERPRETED_SEC_CODES
    effective_date = None
    if record[69:75].strip(" 0"):
        effective_date = _date(number, record, 70, 75, "effective entry date")
    settlement_date = record[75:78]
    if settlement_date != "   " and not settlement_date.isdigit():
        raise NachaFormatError(
            number, f"settlement date (positions 76-78) is not blank or a Julian day: {settlement_date!r}"
        )
    # 0: the ACH operator made the batch (its automated returns and NOCs); 1: a bank; 2: a government.
    if record[78] not in "012":
        raise NachaFormatError(number, f"originator status code {record[78]!r} is not 0, 1 or 2")
    odfi = _digits(number, record, 80, 87, "ODFI identification")
    batch_number = _number(number, record, 88, 94, "batch number")
    if batch_number <= previous_batch_number:
        raise NachaFormatError(
            number, f"batch number {batch_number} does not ascend (the previous batch was {previous_batch_number})"
        )
    company_name, description = _text(record, 5, 20), _text(record, 54, 63)
    if interpreted:  # an IAT batch header, for one, has no company name there
        _required(number, company_name, "company name")
        _required(number, description, "company entry description")
    return ParsedBatchHeader(
        line=number,
        service_class=service_class,
        company_name=company_name,
        discretionary=_text(record, 21, 40),
        company_id=_required(number, _text(record, 41, 50), "company identification"),
        sec_code=sec_code,
        entry_description=description,
        descriptive_date=_text(record, 64, 69),
        effective_date=effective_date,
        settlement_date=settlement_date.strip(),
        originator_status=record[78],
        odfi_identification=odfi,
        batch_number=batch_number,
        interpreted=interpreted,
    )


def _entry_with_addenda(lines: _Lines, batch: ParsedBatchHeader, *, previous_trace: str) -> ParsedEntry:
    number, record = lines.take("6", missing="a batch header must be followed by at least one entry detail (6)")
    entry = _entry(number, record, batch, previous_trace=previous_trace)
    indicator = record[78]
    if indicator == "1":
        after = f"the entry on line {number} has addenda indicator 1, so an addenda (7) must follow"
        if not batch.interpreted:
            others = [_other_addenda(*lines.take("7", missing=after))]
            while lines.peek() == "7":
                others.append(_other_addenda(*lines.take("7")))
            return replace(entry, addenda=tuple(others))
        entry = replace(entry, addenda=(_addenda(*lines.take("7", missing=after), entry, batch),))
    if lines.peek() == "7":
        reason = "its entry has addenda indicator 0" if indicator == "0" else "an entry carries at most one addenda"
        raise NachaFormatError(lines.number(lines.taken), f"unexpected addenda record: {reason}")
    return entry


def _entry(number: int, record: str, batch: ParsedBatchHeader, *, previous_trace: str) -> ParsedEntry:
    code = _number(number, record, 2, 3, "transaction code")
    digits = f"{code:02d}"
    if digits[0] not in _ACCOUNT_DIGITS or digits[1] not in _CREDIT_DIGITS + _DEBIT_DIGITS:
        raise NachaFormatError(number, f"transaction code {digits} is not supported")
    if batch.service_class == 225 and _is_credit(code):
        raise NachaFormatError(number, f"a credit (transaction code {code}) in a debits-only (225) batch")
    if batch.service_class == 220 and _is_debit(code):
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
    if batch.interpreted:
        _check_interpreted(number, record, batch, code, amount)
        if needs_payment_type(batch.sec_code, code):
            discretionary = discretionary.upper()
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


def _check_interpreted(number: int, record: str, batch: ParsedBatchHeader, code: int, amount: int) -> None:
    """What an entry of a PPD, CCD, WEB, TEL or COR batch must also be."""
    if needs_payment_type(batch.sec_code, code) and record[76:78].upper() not in ("R ", "S "):
        raise NachaFormatError(number, f"WEB payment type (positions 77-78) is {record[76:78]!r}, not 'R ' or 'S '")
    if batch.sec_code == "COR" and (code not in RETURN_CODES or amount != 0):
        raise NachaFormatError(
            number, "a COR entry (notification of change) has transaction code 21/26/31/36 and amount 0"
        )
    kind = _addenda_kind(code, batch)
    if kind != "05" and record[78] != "1":
        raise NachaFormatError(number, f"a {_ADDENDA_NAMES[kind]} needs its addenda: indicator 1")


_ADDENDA_NAMES = {"05": "payment entry", "98": "notification of change", "99": "return entry"}


def _addenda_kind(code: int, batch: ParsedBatchHeader) -> str:
    """The addenda type an entry may carry: 98 in a COR batch, 99 on a return, else 05."""
    if batch.sec_code == "COR":
        return "98"
    return "99" if _is_return(code) else "05"


def _other_addenda(number: int, record: str) -> OtherAddenda:
    kind = _digits(number, record, 2, 3, "addenda type code")
    return OtherAddenda(type_code=kind, text=_text(record, 4, 94))


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
    # The addenda's own trace: its entry's as a rule, but not always (a NOC of moov's samples).
    trace = _digits(number, record, 80, 94, "addenda trace number")
    if kind == "98":
        return _correction(number, record, original_trace, original_rdfi, trace)
    reason = _code(record, 4, 6)
    if not _RETURN_REASON.fullmatch(reason):
        raise NachaFormatError(number, f"return reason code {record[3:6]!r} is not R and two digits")
    if reason in DISHONORED_CODES:
        return _dishonored(number, record, reason, original_trace, original_rdfi, trace)
    if reason in CONTESTED_CODES:
        return _contested(number, record, reason, original_trace, original_rdfi, trace)
    death = record[21:27]
    return ReturnAddenda(
        reason_code=reason,
        original_trace=original_trace,
        date_of_death=None if not death.strip() else _date(number, record, 22, 27, "date of death"),
        original_rdfi=original_rdfi,
        information=_text(record, 36, 79),
        trace=trace,
    )


def _correction(number: int, record: str, original_trace: str, original_rdfi: str, trace: str) -> CorrectionAddenda:
    change = _code(record, 4, 6)
    if not _CHANGE_CODE.fullmatch(change):
        raise NachaFormatError(number, f"change code {record[3:6]!r} is not C and two digits")
    return CorrectionAddenda(
        change_code=change,
        original_trace=original_trace,
        original_rdfi=original_rdfi,
        corrected_data=_required(number, _text(record, 36, 64), "corrected data"),
        trace=trace,
    )


def _reason(number: int, record: str, first: int, what: str) -> str:
    """A two-digit reason code without its R (57-58, 77-78 of the dishonored layouts), as "R01"."""
    value = record[first - 1 : first + 1]
    if not value.strip():
        return ""
    if not value.isdigit():
        raise NachaFormatError(number, f"{what} (positions {first}-{first + 1}) is not two digits: {value!r}")
    return f"R{value}"


def _dishonored(
    number: int, record: str, reason: str, original_trace: str, original_rdfi: str, trace: str
) -> DishonoredAddenda:
    return DishonoredAddenda(
        reason_code=reason,
        original_trace=original_trace,
        original_rdfi=original_rdfi,
        return_trace=_digits_or_blank(number, record, 39, 53, "return trace number"),
        return_settlement_date=_digits_or_blank(number, record, 54, 56, "return settlement date"),
        return_reason=_reason(number, record, 57, "return reason code"),
        information=_text(record, 59, 79),
        trace=trace,
    )


def _contested(
    number: int, record: str, reason: str, original_trace: str, original_rdfi: str, trace: str
) -> ContestedAddenda:
    returned = record[21:27]
    return ContestedAddenda(
        reason_code=reason,
        original_trace=original_trace,
        date_returned=None if not returned.strip() else _date(number, record, 22, 27, "date original entry returned"),
        original_rdfi=original_rdfi,
        return_trace=_digits_or_blank(number, record, 39, 53, "return trace number"),
        return_reason=_reason(number, record, 57, "return reason code"),
        dishonored_trace=_digits_or_blank(number, record, 59, 73, "dishonored return trace number"),
        dishonored_reason=_reason(number, record, 77, "dishonored return reason code"),
        trace=trace,
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
        company_id=_text(record, 45, 54).strip(),  # some banks right-justify it here
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
    _compare(number, "company identification", control.company_id, header.company_id.strip(), "its batch header says")
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
    """Padding records (94 nines) up to the block count: all, some or none of them."""
    while lines.taken < len(lines.records):
        number, record = lines.number(lines.taken), lines.records[lines.taken]
        _check_characters(number, record)
        if record != PADDING_RECORD:
            raise NachaFormatError(number, "after the file control only padding records (94 nines) may follow")
        if lines.taken + 1 > block_count * 10:
            raise NachaFormatError(number, f"padding goes beyond the {block_count * 10} records of the block count")
        lines.taken += 1


def _compare(number: int, what: str, found: int | str, expected: int | str, source: str) -> None:
    """``source`` says where the expected value comes from, e.g. "its batch header says"."""
    if found != expected:
        raise NachaFormatError(number, f"{what} is {found}, but {source} {expected}")


def _count(entries: list[ParsedEntry]) -> int:
    return sum(1 + len(entry.addenda) for entry in entries)


def _hash(entries: list[ParsedEntry]) -> int:
    return sum(int(entry.routing_number[:8]) for entry in entries) % HASH_MODULUS


def _debits(entries: list[ParsedEntry]) -> int:
    return sum(entry.amount_cents for entry in entries if entry.is_debit)


def _credits(entries: list[ParsedEntry]) -> int:
    return sum(entry.amount_cents for entry in entries if not entry.is_debit)
