"""NACHA (ACH) files: the records Remit writes, and a streaming writer (pure: no Django, no database).

The layouts and rules are those of NACHA.md. Every record is 94 characters followed by "\\n";
alphanumeric fields are cleaned to printable ASCII, upper-cased, left-justified and space-filled, and
cut when too long; numeric fields are right-justified and zero-filled, and refused when too long.
Identifiers that something is looked up by (company ID, account number, individual ID, trace) are
never cut: a value that does not fit is refused.

Two fields Remit fills from its own data have rules of their own, as pure functions here:
``invoice_information`` (an 05 addenda: whole invoice numbers, then "+N MORE") and ``individual_id``
(a customer reference longer than the field becomes a stable short identifier instead of being cut).

``write_file`` streams: it takes each batch's entries lazily and writes every record at once, keeping
only running counts, hashes and totals, so memory does not grow with the number of entries. Because
of that, a ``NachaError`` part-way leaves the output incomplete: write to a temporary file and
discard it on error.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from typing import TextIO

RECORD_LENGTH = 94
BLOCKING_FACTOR = 10
PADDING_RECORD = "9" * RECORD_LENGTH
PAYMENT_INFORMATION_WIDTH = 80  # an 05 addenda's positions 4-83
INDIVIDUAL_ID_WIDTH = 15  # an entry's positions 40-54
MAX_AMOUNT_CENTS = 9_999_999_999  # the 10-digit amount field: $99,999,999.99
HASH_MODULUS = 10**10  # the entry hash keeps its rightmost 10 digits

# Transaction codes (NACHA.md, "Transaction codes"). 21/26/31/36 are automated returns and
# notifications of change: 26/36 answer a debit (or debit prenote), 21/31 a credit.
LIVE_DEBITS = frozenset({27, 37})
PRENOTE_DEBITS = frozenset({28, 38})
LIVE_CREDITS = frozenset({22, 32})
PRENOTE_CREDITS = frozenset({23, 33})
RETURN_DEBITS = frozenset({26, 36})
RETURN_CREDITS = frozenset({21, 31})
DEBIT_CODES = LIVE_DEBITS | PRENOTE_DEBITS | RETURN_DEBITS
CREDIT_CODES = LIVE_CREDITS | PRENOTE_CREDITS | RETURN_CREDITS
RETURN_CODES = RETURN_DEBITS | RETURN_CREDITS
PRENOTE_CODES = PRENOTE_DEBITS | PRENOTE_CREDITS
LIVE_CODES = LIVE_DEBITS | LIVE_CREDITS

SERVICE_CLASSES = {200: "mixed debits and credits", 220: "credits only", 225: "debits only"}
SEC_CODES = frozenset({"WEB", "CCD", "PPD", "COR"})
WEB_PAYMENT_TYPES = frozenset({"R ", "S "})  # recurring (AutoPay), single

_DIGITS = {width: re.compile(f"[0-9]{{{width}}}") for width in (8, 9, 15)}
_PRINTABLE = re.compile(r"[ -~]*")  # printable ASCII: space to tilde
_ACCOUNT_NUMBER = re.compile(r"[0-9A-Za-z-]{1,17}")
_FILE_ID_MODIFIER = re.compile(r"[A-Z0-9]")
_RETURN_REASON = re.compile(r"R[0-9]{2}")
_CHANGE_CODE = re.compile(r"C[0-9]{2}")
# Typographic punctuation people paste into names, mapped to its ASCII twin rather than to "?".
_PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-"})


class NachaError(ValueError):
    """The input can't be written as a valid NACHA file; the message says which value and why."""


@dataclass(frozen=True)
class FileHeader:
    immediate_destination: str  # the ODFI's 9-digit routing, written " " + 9 digits; or 10 characters as given
    # Who sends the file, as the bank says: a 9-digit routing number, written " " + 9 digits after its
    # check digit is checked (moov-io/ach's RequireABAOrigin); or 10 characters as given, e.g. "1234567890".
    immediate_origin: str
    destination_name: str
    origin_name: str
    created_at: datetime  # written as it is (no time zone conversion): pass the bank's local time
    file_id_modifier: str  # A-Z or 0-9, distinct per file that day
    reference_code: str = ""


@dataclass(frozen=True)
class BatchHeader:
    service_class: int  # 200 mixed, 220 credits only, 225 debits only
    company_name: str
    company_id: str  # up to 10 characters, usually "1" + EIN
    sec_code: str  # "WEB", "CCD", "PPD", or "COR" for notifications of change
    entry_description: str  # e.g. "INVOICE"
    effective_date: date
    odfi_routing: str  # 9 digits; the first 8 are written
    batch_number: int  # ascending within the file
    descriptive_date: str = ""
    discretionary: str = ""


@dataclass(frozen=True)
class ReturnAddenda:
    """Addenda type 99: the RDFI sends an entry back, saying why."""

    reason_code: str  # "R01" …
    original_trace: str  # the trace number of the entry being returned
    date_of_death: date | None  # R14/R15 only
    original_rdfi: str  # 8 digits: the RDFI identification of the original entry
    information: str
    trace: str  # the trace number of the return entry this addenda belongs to


@dataclass(frozen=True)
class CorrectionAddenda:
    """Addenda type 98 (SEC COR): a notification of change with the corrected account details."""

    change_code: str  # "C01" …
    original_trace: str
    original_rdfi: str  # 8 digits
    corrected_data: str  # e.g. the new account number (C01) or routing number (C02)
    trace: str  # the trace number of the notification entry this addenda belongs to


@dataclass(frozen=True)
class Entry:
    transaction_code: int
    routing_number: str  # the RDFI's 9 digits: 8 written as its identification, then the check digit
    account_number: str
    amount_cents: int
    individual_id: str  # e.g. our customer reference, at most 15 characters
    individual_name: str
    trace_number: str  # 15 digits: the ODFI's 8 digits and a 7-digit sequence, ascending in a batch
    discretionary: str = ""  # for WEB the payment type: "R " recurring, "S " single
    # The addenda record, if any: payment-related information (type 05, up to 80 characters) as a
    # str; a ReturnAddenda (99) on a return entry; a CorrectionAddenda (98) on a COR entry.
    addenda: str | ReturnAddenda | CorrectionAddenda | None = None


@dataclass(frozen=True)
class FileTotals:
    batch_count: int
    block_count: int
    entry_addenda_count: int
    entry_hash: int
    total_debit_cents: int
    total_credit_cents: int
    record_count: int  # including the 9-padding


def ach_text(s: str) -> str:
    """Text as NACHA alphanumeric fields take it: printable ASCII, upper case. Accents are dropped
    ("é" → "E", via NFKD), typographic quotes and dashes become ASCII ones, other whitespace becomes a
    space, and anything else becomes "?"."""
    if s.isascii() and s.isprintable():
        return s.upper()  # what the loop below makes of printable ASCII, without the loop
    cleaned = []
    for char in unicodedata.normalize("NFKD", s.upper().translate(_PUNCTUATION)):
        if " " <= char <= "~":
            cleaned.append(char)
        elif unicodedata.combining(char):
            continue  # the accent NFKD split from its letter
        elif char.isspace():
            cleaned.append(" ")
        else:
            cleaned.append("?")
    return "".join(cleaned).upper()  # NFKD can reveal lower case, e.g. "ª" → "a"


def routing_check_digit(first_eight: str) -> int:
    """The 9th digit of a routing number: 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)."""
    d = [int(char) for char in first_eight]
    weighted = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5])
    return (10 - weighted % 10) % 10


def check_routing(routing: str, what: str = "routing number") -> None:
    if not _DIGITS[9].fullmatch(routing):
        raise NachaError(f"{what} {routing!r} is not 9 digits")
    if routing == "000000000":
        raise NachaError(f"{what} 000000000 is not a bank")
    if int(routing[8]) != routing_check_digit(routing[:8]):
        raise NachaError(f"{what} {routing} has a wrong check digit (expected {routing_check_digit(routing[:8])})")


def check_trace(trace: str, what: str = "trace number") -> None:
    if not _DIGITS[15].fullmatch(trace):
        raise NachaError(f"{what} {trace!r} is not 15 digits")


def check_amount(transaction_code: int, amount_cents: int) -> None:
    """An amount an entry with this transaction code may carry (in cents)."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise NachaError(f"amount {amount_cents!r} is not a whole number of cents")
    if amount_cents < 0:
        raise NachaError(f"amount {amount_cents} is negative")
    if amount_cents > MAX_AMOUNT_CENTS:
        raise NachaError(f"amount {amount_cents} cents is more than an entry can carry ($99,999,999.99)")
    if transaction_code in PRENOTE_CODES and amount_cents != 0:
        raise NachaError(f"a prenote (transaction code {transaction_code}) carries amount 0, not {amount_cents}")
    if transaction_code in LIVE_CODES and amount_cents == 0:
        raise NachaError(f"a live entry (transaction code {transaction_code}) needs an amount above 0")


def needs_payment_type(sec_code: str, transaction_code: int) -> bool:
    """WEB debits (and their prenotes) carry a payment type, R or S, in the discretionary data. An
    offset credit in a balanced WEB batch does not."""
    return sec_code == "WEB" and transaction_code in LIVE_DEBITS | PRENOTE_DEBITS


def invoice_information(numbers: Sequence[str], *, prefix: str = "INV ") -> str:
    """The payment-related information of an 05 addenda (80 characters): ``prefix`` and the invoice
    numbers, comma-separated. A number is never cut: when they don't all fit, as many as fit are
    written, in order, then " +N MORE" for the rest (all of them: "INV +N MORE")."""
    cleaned = [text for text in (ach_text(number).strip() for number in numbers) if text]
    shown, length = 0, len(prefix)  # how many numbers fit so far, and their text's length
    for number in cleaned:
        grown = length + (1 if shown else 0) + len(number)  # 1: the comma before every number but the first
        rest = len(cleaned) - shown - 1
        if grown + (len(f" +{rest} MORE") if rest else 0) > PAYMENT_INFORMATION_WIDTH:
            break
        shown, length = shown + 1, grown
    text = prefix + ",".join(cleaned[:shown])
    if shown < len(cleaned):
        text += f"{' ' if shown else ''}+{len(cleaned) - shown} MORE"
    return text


def individual_id(reference: str, *, fallback: str) -> str:
    """What an entry's individual identification (15 characters) carries for a customer reference,
    never a cut one. A reference of printable ASCII that fits is written as it is (upper case); an
    empty one is ``fallback``. Any other (longer, or with characters the file can't carry) becomes a
    stable identifier of 15 characters: its first 10 characters, "*", and 4 characters of a digest of
    the whole reference (case aside, as references are unique case aside), e.g. ``ZOE-MULLER*Q3XG``
    for ``ZOE-MULLER-OHARA-LONGREF``. It depends on the reference only, so it stays the same from file
    to file, and the biller sees it next to the reference (the customer's page in the console)."""
    reference = reference.strip()
    if not reference:
        return fallback
    cleaned = ach_text(reference)
    if reference.isascii() and reference.isprintable() and len(cleaned) <= INDIVIDUAL_ID_WIDTH:
        return cleaned
    digest = base64.b32encode(hashlib.sha256(reference.lower().encode("utf-8")).digest()).decode("ascii")
    return f"{cleaned[:10].rstrip()}*{digest[:4]}"


def write_file(out: TextIO, header: FileHeader, batches: Iterable[tuple[BatchHeader, Iterable[Entry]]]) -> FileTotals:
    """Write a whole NACHA file to ``out``, streaming: batches and their entries are taken lazily and
    each record is written as soon as it is known. Returns the file's totals."""
    records = _Records(out)
    records.write(_file_header_record(header))
    batch_count, previous_batch_number = 0, 0
    file_sums = _Sums()
    for batch_header, entries in batches:
        _check_batch_header(batch_header)
        if batch_header.batch_number <= previous_batch_number:
            raise NachaError(
                f"batch number {batch_header.batch_number} does not ascend (the previous batch was "
                f"{previous_batch_number})"
            )
        file_sums.add(_write_batch(records, batch_header, entries))
        batch_count += 1
        previous_batch_number = batch_header.batch_number
    block_count = math.ceil((records.count + 1) / BLOCKING_FACTOR)  # + 1: the file control
    records.write(_file_control_record(batch_count, block_count, file_sums))
    while records.count < block_count * BLOCKING_FACTOR:
        records.write(PADDING_RECORD)
    return FileTotals(
        batch_count=batch_count,
        block_count=block_count,
        entry_addenda_count=file_sums.entry_addenda_count,
        entry_hash=file_sums.entry_hash % HASH_MODULUS,
        total_debit_cents=file_sums.debit_cents,
        total_credit_cents=file_sums.credit_cents,
        record_count=records.count,
    )


class _Records:
    """The output, one 94-character record at a time, counted."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    def write(self, record: str) -> None:
        assert len(record) == RECORD_LENGTH, f"a {len(record)}-character record: {record!r}"
        self.out.write(record + "\n")
        self.count += 1


@dataclass
class _Sums:
    """What a batch control (and, summed, the file control) reports. The hash is kept whole and
    reduced to 10 digits when written."""

    entry_addenda_count: int = 0
    entry_hash: int = 0
    debit_cents: int = 0
    credit_cents: int = 0

    def add(self, other: _Sums) -> None:
        self.entry_addenda_count += other.entry_addenda_count
        self.entry_hash += other.entry_hash
        self.debit_cents += other.debit_cents
        self.credit_cents += other.credit_cents


def _write_batch(records: _Records, header: BatchHeader, entries: Iterable[Entry]) -> _Sums:
    batch_header_record = _batch_header_record(header)
    pending = iter(entries)
    first = next(pending, None)
    if first is None:
        raise NachaError(f"batch {header.batch_number} has no entries; a batch needs at least one")
    records.write(batch_header_record)
    sums, previous_trace = _Sums(), ""
    for entry in chain([first], pending):
        _check_entry(header, entry, previous_trace)
        records.write(_entry_record(entry))
        sums.entry_addenda_count += 1
        if entry.addenda is not None:
            records.write(_addenda_record(entry))
            sums.entry_addenda_count += 1
        sums.entry_hash += int(entry.routing_number[:8])
        if entry.transaction_code in DEBIT_CODES:
            sums.debit_cents += entry.amount_cents
        else:
            sums.credit_cents += entry.amount_cents
        previous_trace = entry.trace_number
    records.write(_batch_control_record(header, sums))
    return sums


# Checks. Each names the value it refuses, so the message alone says what to fix.


def _check_batch_header(header: BatchHeader) -> None:
    if header.service_class not in SERVICE_CLASSES:
        raise NachaError(f"service class {header.service_class} is not one of 200, 220, 225")
    if header.sec_code not in SEC_CODES:
        raise NachaError(f"SEC code {header.sec_code!r} is not one of {', '.join(sorted(SEC_CODES))}")
    if not ach_text(header.company_name).strip():
        raise NachaError("the company name is blank")
    if not ach_text(header.entry_description).strip():
        raise NachaError("the company entry description is blank")
    check_routing(header.odfi_routing, "ODFI routing number")
    if not 1 <= header.batch_number <= 9_999_999:
        raise NachaError(f"batch number {header.batch_number} is not between 1 and 9999999")


def _check_entry(batch: BatchHeader, entry: Entry, previous_trace: str) -> None:
    code = entry.transaction_code
    if code not in DEBIT_CODES | CREDIT_CODES:
        raise NachaError(f"transaction code {code} is not supported (trace {entry.trace_number})")
    if batch.service_class == 225 and code in CREDIT_CODES:
        raise NachaError(f"batch {batch.batch_number} is debits only (225) but has a credit (code {code})")
    if batch.service_class == 220 and code in DEBIT_CODES:
        raise NachaError(f"batch {batch.batch_number} is credits only (220) but has a debit (code {code})")
    check_routing(entry.routing_number)
    check_amount(code, entry.amount_cents)
    if not ach_text(entry.individual_name).strip():
        raise NachaError(f"the individual name of entry {entry.trace_number} is blank")
    check_trace(entry.trace_number)
    if entry.trace_number <= previous_trace:
        raise NachaError(f"trace number {entry.trace_number} does not ascend within the batch (after {previous_trace})")
    if needs_payment_type(batch.sec_code, code) and _alpha(entry.discretionary, 2) not in WEB_PAYMENT_TYPES:
        raise NachaError(f"WEB debit {entry.trace_number} needs payment type 'R ' or 'S ', not {entry.discretionary!r}")
    _check_addenda(batch, entry)


def _check_addenda(batch: BatchHeader, entry: Entry) -> None:
    addenda, code = entry.addenda, entry.transaction_code
    if batch.sec_code == "COR":
        if code not in RETURN_CODES or entry.amount_cents != 0 or not isinstance(addenda, CorrectionAddenda):
            raise NachaError(
                f"COR entry {entry.trace_number} must be a notification of change: transaction code "
                "21/26/31/36, amount 0 and a CorrectionAddenda"
            )
    elif code in RETURN_CODES:
        if not isinstance(addenda, ReturnAddenda):
            raise NachaError(f"return entry {entry.trace_number} (code {code}) needs a ReturnAddenda")
    elif isinstance(addenda, ReturnAddenda | CorrectionAddenda):
        raise NachaError(f"entry {entry.trace_number} (code {code}) can't carry a return or correction addenda")
    if isinstance(addenda, str) and not ach_text(addenda).strip():
        raise NachaError(f"the addenda of entry {entry.trace_number} is blank; pass None for no addenda")
    if isinstance(addenda, ReturnAddenda) and not _RETURN_REASON.fullmatch(addenda.reason_code):
        raise NachaError(f"return reason {addenda.reason_code!r} is not R and two digits")
    if isinstance(addenda, CorrectionAddenda) and not _CHANGE_CODE.fullmatch(addenda.change_code):
        raise NachaError(f"change code {addenda.change_code!r} is not C and two digits")
    if isinstance(addenda, ReturnAddenda | CorrectionAddenda):
        check_trace(addenda.original_trace, "original trace number")
        if not _DIGITS[8].fullmatch(addenda.original_rdfi):
            raise NachaError(f"original RDFI {addenda.original_rdfi!r} is not 8 digits")
        if addenda.trace != entry.trace_number:
            raise NachaError(f"addenda trace {addenda.trace} differs from its entry's trace {entry.trace_number}")


# Fields.


def _alpha(value: str, width: int) -> str:
    """An alphanumeric field: cleaned, left-justified, space-filled; a longer value is cut."""
    return ach_text(value).strip()[:width].ljust(width)


def _identifier(value: str, width: int, what: str, *, required: bool = True) -> str:
    """An alphanumeric field something is looked up by: cleaned, but refused rather than cut."""
    cleaned = ach_text(value).strip()
    if required and not cleaned:
        raise NachaError(f"{what} is blank")
    if len(cleaned) > width:
        raise NachaError(f"{what} {cleaned!r} is longer than {width} characters")
    return cleaned.ljust(width)


def _exactly(value: str, width: int, what: str) -> str:
    """A field written exactly as given (leading blanks included): printable ASCII of this width."""
    if len(value) != width or not _PRINTABLE.fullmatch(value) or not value.strip():
        raise NachaError(f"{what} {value!r} is not {width} printable ASCII characters")
    return value.upper()


def _numeric(value: int, width: int, what: str) -> str:
    if value < 0 or value >= 10**width:
        raise NachaError(f"{what} {value} does not fit in {width} digits")
    return f"{value:0{width}d}"


def _yymmdd(day: date) -> str:
    return f"{day:%y%m%d}"


def _record(*fields: str) -> str:
    return "".join(fields)


# Records, position by position as in NACHA.md.


def _routing_or_ten(value: str, what: str) -> str:
    """The immediate destination or origin: a 9-digit routing number (its check digit checked), written
    after a blank; or 10 characters written as given."""
    if _DIGITS[9].fullmatch(value):
        check_routing(value, what)
        return " " + value
    if len(value) == 10:
        return _exactly(value, 10, what)
    raise NachaError(f"{what} {value!r} is neither a 9-digit routing number nor 10 characters")


def _file_header_record(header: FileHeader) -> str:
    destination = _routing_or_ten(header.immediate_destination, "immediate destination")
    origin = _routing_or_ten(header.immediate_origin, "immediate origin")
    if not _FILE_ID_MODIFIER.fullmatch(header.file_id_modifier):
        raise NachaError(f"file ID modifier {header.file_id_modifier!r} is not one of A-Z, 0-9")
    return _record(
        "1",  # 1: record type
        "01",  # 2-3: priority code
        destination,  # 4-13
        origin,  # 14-23
        _yymmdd(header.created_at),  # 24-29: creation date
        f"{header.created_at:%H%M}",  # 30-33: creation time
        header.file_id_modifier,  # 34
        "094",  # 35-37: record size
        "10",  # 38-39: blocking factor
        "1",  # 40: format code
        _alpha(header.destination_name, 23),  # 41-63
        _alpha(header.origin_name, 23),  # 64-86
        _alpha(header.reference_code, 8),  # 87-94
    )


def _batch_header_record(header: BatchHeader) -> str:
    return _record(
        "5",  # 1: record type
        f"{header.service_class}",  # 2-4
        _alpha(header.company_name, 16),  # 5-20
        _alpha(header.discretionary, 20),  # 21-40
        _identifier(header.company_id, 10, "company identification"),  # 41-50
        header.sec_code,  # 51-53
        _alpha(header.entry_description, 10),  # 54-63
        _alpha(header.descriptive_date, 6),  # 64-69
        _yymmdd(header.effective_date),  # 70-75
        "   ",  # 76-78: settlement date, filled in by the ACH operator
        "1",  # 79: originator status
        header.odfi_routing[:8],  # 80-87
        _numeric(header.batch_number, 7, "batch number"),  # 88-94
    )


def _entry_record(entry: Entry) -> str:
    if not _ACCOUNT_NUMBER.fullmatch(entry.account_number):
        raise NachaError(
            f"account number {entry.account_number!r} of entry {entry.trace_number} is not 1 to 17 letters, "
            "digits or hyphens"
        )
    return _record(
        "6",  # 1: record type
        _numeric(entry.transaction_code, 2, "transaction code"),  # 2-3
        entry.routing_number[:8],  # 4-11: RDFI identification
        entry.routing_number[8],  # 12: its check digit
        entry.account_number.upper().ljust(17),  # 13-29
        _numeric(entry.amount_cents, 10, "amount"),  # 30-39
        _identifier(entry.individual_id, 15, "individual identification", required=False),  # 40-54
        _alpha(entry.individual_name, 22),  # 55-76
        _alpha(entry.discretionary, 2),  # 77-78
        "1" if entry.addenda is not None else "0",  # 79: addenda record indicator
        entry.trace_number,  # 80-94
    )


def _addenda_record(entry: Entry) -> str:
    addenda = entry.addenda
    if isinstance(addenda, ReturnAddenda):
        return _record(
            "7",  # 1: record type
            "99",  # 2-3: addenda type
            addenda.reason_code,  # 4-6
            addenda.original_trace,  # 7-21
            " " * 6 if addenda.date_of_death is None else _yymmdd(addenda.date_of_death),  # 22-27
            addenda.original_rdfi,  # 28-35
            _alpha(addenda.information, 44),  # 36-79
            addenda.trace,  # 80-94
        )
    if isinstance(addenda, CorrectionAddenda):
        return _record(
            "7",  # 1: record type
            "98",  # 2-3: addenda type
            addenda.change_code,  # 4-6
            addenda.original_trace,  # 7-21
            " " * 6,  # 22-27: reserved
            addenda.original_rdfi,  # 28-35
            _identifier(addenda.corrected_data, 29, "corrected data"),  # 36-64
            " " * 15,  # 65-79: reserved
            addenda.trace,  # 80-94
        )
    assert addenda is not None
    return _record(
        "7",  # 1: record type
        "05",  # 2-3: addenda type
        _alpha(addenda, 80),  # 4-83: payment-related information
        "0001",  # 84-87: addenda sequence number
        entry.trace_number[-7:],  # 88-94: the entry's trace sequence
    )


def _batch_control_record(header: BatchHeader, sums: _Sums) -> str:
    where = f"batch {header.batch_number}"
    return _record(
        "8",  # 1: record type
        f"{header.service_class}",  # 2-4
        _numeric(sums.entry_addenda_count, 6, f"{where} entry/addenda count"),  # 5-10
        _numeric(sums.entry_hash % HASH_MODULUS, 10, "entry hash"),  # 11-20
        _numeric(sums.debit_cents, 12, f"{where} total debits"),  # 21-32
        _numeric(sums.credit_cents, 12, f"{where} total credits"),  # 33-44
        _identifier(header.company_id, 10, "company identification"),  # 45-54
        " " * 19,  # 55-73: message authentication code
        " " * 6,  # 74-79: reserved
        header.odfi_routing[:8],  # 80-87
        _numeric(header.batch_number, 7, "batch number"),  # 88-94
    )


def _file_control_record(batch_count: int, block_count: int, sums: _Sums) -> str:
    return _record(
        "9",  # 1: record type
        _numeric(batch_count, 6, "batch count"),  # 2-7
        _numeric(block_count, 6, "block count"),  # 8-13
        _numeric(sums.entry_addenda_count, 8, "file entry/addenda count"),  # 14-21
        _numeric(sums.entry_hash % HASH_MODULUS, 10, "entry hash"),  # 22-31
        _numeric(sums.debit_cents, 12, "file total debits"),  # 32-43
        _numeric(sums.credit_cents, 12, "file total credits"),  # 44-55
        " " * 39,  # 56-94: reserved
    )
