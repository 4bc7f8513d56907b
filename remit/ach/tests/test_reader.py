"""The strict reader: it reads what the writer writes and what the bank sends back, and refuses a
malformed file at the line of its first problem, saying why."""

from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.ach.bank_sim import returns_for
from remit.ach.nacha import NachaError
from remit.ach.reader import (
    CorrectionAddenda,
    NachaFormatError,
    ParsedBatchHeader,
    ParsedEntry,
    ParsedFileHeader,
    PaymentAddenda,
    ReturnAddenda,
    read_file,
)
from remit.ach.tests import samples
from remit.ach.tests.samples import trace

GOLDEN = Path(__file__).parent / "golden"


def golden_lines(name):
    return (GOLDEN / f"{name}.ach").read_text(encoding="ascii").splitlines()


def with_field(line, first, last, value):
    """``line`` with positions first-last (1-based, inclusive) replaced by ``value``."""
    assert len(value) == last - first + 1
    return line[: first - 1] + value + line[last:]


def refused(lines):
    with pytest.raises(NachaFormatError) as error:
        read_file("\n".join(lines) + "\n")
    return error.value.line, error.value.reason


def test_it_reads_the_web_file_field_by_field():
    ach = read_file((GOLDEN / "web.ach").read_text())
    assert ach.header == ParsedFileHeader(
        immediate_destination=" 011000015",
        immediate_origin="1234567890",
        creation_date=date(2026, 3, 2),
        creation_time=time(16, 45),
        file_id_modifier="A",
        destination_name="FIRST TEST BANK",
        origin_name="ACME WATER CO",
        reference_code="",
    )
    [batch] = ach.batches
    assert batch.header == ParsedBatchHeader(
        line=2,
        service_class=225,
        company_name="ACME WATER",
        discretionary="",
        company_id="1234567890",
        sec_code="WEB",
        entry_description="INVOICE",
        descriptive_date="",
        effective_date=date(2026, 3, 3),
        settlement_date="",
        originator_status="1",
        odfi_identification="01100001",
        batch_number=1,
    )
    assert batch.entries[0] == ParsedEntry(
        line=3,
        transaction_code=27,
        routing_number="111000025",
        account_number="123456789",
        amount_cents=12550,
        individual_id="C1001",
        individual_name="JOSE NUNEZ",
        discretionary="S",
        trace_number="011000010000001",
        addenda=(),
    )
    assert [e.transaction_code for e in batch.entries] == [27, 37, 28]
    assert all(e.is_debit for e in batch.entries)
    assert (batch.control.line, batch.control.entry_addenda_count, batch.control.entry_hash) == (6, 3, 24300006)
    assert (batch.control.total_debit_cents, batch.control.total_credit_cents) == (16750, 0)
    assert (ach.control.line, ach.control.batch_count, ach.control.block_count) == (7, 1, 1)
    assert ach.record_count == 10


def test_it_reads_05_addenda_and_balanced_offsets():
    ccd = read_file((GOLDEN / "ccd.ach").read_text())
    first = ccd.batches[0].entries[0]
    assert first.addenda == (PaymentAddenda("INV 2026-0012, INV 2026-0013", 1, "0000001"),)
    assert (first.return_addenda, first.correction) == (None, None)
    balanced = read_file((GOLDEN / "balanced.ach").read_text())
    offset = balanced.batches[0].entries[-1]
    assert (offset.transaction_code, offset.is_debit, offset.amount_cents) == (22, False, 16750)
    assert balanced.control.total_credit_cents == balanced.control.total_debit_cents == 16750
    mixed = read_file((GOLDEN / "mixed.ach").read_text())
    assert [b.header.sec_code for b in mixed.batches] == ["WEB", "CCD"]


def test_a_93_character_line_is_refused_when_what_it_lost_was_not_a_trailing_space():
    lines = golden_lines("web")
    lines[2] = lines[2][:93]
    assert refused(lines) == (
        3,
        "the record is 93 characters long; every record is 94 (read with spaces added at the end: "
        "trace number (positions 80-94) is not numeric: '01100001000000 ')",
    )


def test_wrong_control_totals_are_refused():
    lines = golden_lines("web")
    lines[5] = with_field(lines[5], 21, 32, "000000016751")
    assert refused(lines) == (6, "total debits is 16751, but the batch's debits add up to 16750")
    lines = golden_lines("web")
    lines[6] = with_field(lines[6], 44, 55, "000000000001")
    assert refused(lines) == (7, "total credits is 1, but the file's credits add up to 0")
    lines = golden_lines("ccd")
    lines[6] = with_field(lines[6], 5, 10, "000002")
    assert refused(lines) == (7, "entry/addenda count is 2, but the batch's entries and addenda number 4")


def test_a_bad_hash_is_refused():
    lines = golden_lines("web")
    lines[5] = with_field(lines[5], 11, 20, "0024300007")
    assert refused(lines) == (6, "entry hash is 24300007, but the entries' RDFI identifications add up to 24300006")
    lines = golden_lines("mixed")
    lines[12] = with_field(lines[12], 22, 31, "0000000000")
    assert refused(lines) == (13, "entry hash is 0, but the entries' RDFI identifications add up to 47500032")


def test_records_out_of_order_are_refused():
    lines = golden_lines("web")
    lines[1], lines[2] = lines[2], lines[1]
    assert refused(lines) == (
        2,
        "an entry detail (6) is out of order: expected a batch header (5) or a file control (9)",
    )
    lines = golden_lines("web")
    del lines[5]  # no batch control
    assert refused(lines) == (
        6,
        "a file control (9) is out of order: expected an entry detail (6) or a batch control (8)",
    )
    lines = golden_lines("web")
    lines.insert(0, lines[1])
    assert refused(lines) == (1, "a batch header (5) is out of order: expected a file header (1)")
    lines = golden_lines("web")
    del lines[2:5]  # a batch without entries
    assert refused(lines) == (3, "a batch header must be followed by at least one entry detail (6)")


def test_an_unknown_record_type_is_refused():
    lines = golden_lines("web")
    lines[3] = "3" + lines[3][1:]
    assert refused(lines) == (4, "unknown record type '3'")


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        (
            "web",
            lambda lines: [*lines, lines[-1]],
            (11, "padding goes beyond the 10 records of the block count"),
        ),
        (
            "web",
            lambda lines: [*lines[:7], "9" * 93 + "8", *lines[8:]],
            (8, "after the file control only padding records (94 nines) may follow"),
        ),
        ("web", lambda lines: lines[:6], (7, "the file ends where a batch header (5) or a file control (9) should be")),
        ("web", lambda lines: [], (1, "the file ends where a file header (1) should be")),
        (
            "web",
            lambda lines: [*lines[:6], with_field(lines[6], 8, 13, "000002"), *lines[7:]],
            (7, "block count is 2, but 7 records in blocks of 10 make 1"),
        ),
        (
            "web",
            lambda lines: [*lines[:6], with_field(lines[6], 2, 7, "000002"), *lines[7:]],
            (7, "batch count is 2, but the file has 1"),
        ),
        (
            "web",
            lambda lines: [lines[0], lines[1], with_field(lines[2], 55, 55, "É"), *lines[3:]],
            (3, "position 55 holds 'É', which is not printable ASCII"),
        ),
        (
            "web",
            lambda lines: [lines[0], lines[1], with_field(lines[2], 12, 12, "6"), *lines[3:]],
            (3, "RDFI routing number 111000026 has a wrong check digit (expected 5)"),
        ),
        (
            "web",
            lambda lines: [lines[0], lines[1], with_field(lines[2], 30, 39, "00000125.0"), *lines[3:]],
            (3, "amount (positions 30-39) is not numeric: '00000125.0'"),
        ),
        (
            "web",
            lambda lines: [lines[0], lines[1], with_field(lines[2], 77, 78, "  "), *lines[3:]],
            (3, "WEB payment type (positions 77-78) is '  ', not 'R ' or 'S '"),
        ),
        (
            "web",
            lambda lines: [lines[0], lines[1], lines[3], lines[2], *lines[4:]],
            (4, "trace number 011000010000001 does not ascend within the batch (after 011000010000002)"),
        ),
        (
            "web",
            lambda lines: [lines[0], lines[1], with_field(lines[2], 79, 79, "1"), *lines[3:]],
            (4, "the entry on line 3 has addenda indicator 1, so an addenda (7) must follow"),
        ),
        (
            "web",
            lambda lines: [lines[0], with_field(lines[1], 2, 4, "220"), *lines[2:]],
            (3, "a debit (transaction code 27) in a credits-only (220) batch"),
        ),
        (
            "web",
            lambda lines: [lines[0], with_field(lines[1], 51, 53, "ADV"), *lines[2:]],
            (2, "an ADV batch (automated accounting advice) is not part of a return file; this reader refuses it"),
        ),
        (
            "web",
            lambda lines: [lines[0], with_field(lines[1], 51, 53, "W3B"), *lines[2:]],
            (2, "SEC code 'W3B' (positions 51-53) is not three letters"),
        ),
        (
            "web",
            lambda lines: [lines[0], with_field(lines[1], 70, 75, "260231"), *lines[2:]],
            (2, "effective entry date (positions 70-75) is not a date YYMMDD: '260231'"),
        ),
        (
            "web",
            lambda lines: [lines[0], with_field(lines[1], 70, 75, "2611 1"), *lines[2:]],
            (2, "effective entry date (positions 70-75) is not a date YYMMDD: '2611 1'"),
        ),
        (
            "web",
            lambda lines: [with_field(lines[0], 30, 33, "9 30"), *lines[1:]],
            (1, "creation time (positions 30-33) is not HHMM: '9 30'"),
        ),
        (
            "web",
            lambda lines: [with_field(lines[0], 35, 37, "095"), *lines[1:]],
            (1, "record size (positions 35-37) is '095', not '094'"),
        ),
        (
            "web",
            lambda lines: [*lines[:5], with_field(lines[5], 80, 87, "01100002"), *lines[6:]],
            (6, "ODFI identification is 01100002, but its batch header says 01100001"),
        ),
        (
            "ccd",
            lambda lines: [*lines[:2], with_field(lines[2], 79, 79, "0"), *lines[3:]],
            (4, "unexpected addenda record: its entry has addenda indicator 0"),
        ),
        (
            "ccd",
            lambda lines: [*lines[:3], with_field(lines[3], 88, 94, "0000009"), *lines[4:]],
            (4, "entry detail sequence number (positions 88-94) is '0000009', not '0000001'"),
        ),
        (
            "ccd",
            lambda lines: [*lines[:3], lines[3], lines[3], *lines[4:]],
            (5, "unexpected addenda record: an entry carries at most one addenda"),
        ),
        (
            "ccd",
            lambda lines: [*lines[:3], with_field(lines[3], 2, 3, "99"), *lines[4:]],
            (4, "a payment entry takes an addenda 05, not 99"),
        ),
        (
            "ccd",
            lambda lines: [*lines[:3], with_field(lines[3], 2, 3, "02"), *lines[4:]],
            (4, "addenda type '02' is not one this reader reads (05, 98, 99)"),
        ),
        (
            "mixed",
            lambda lines: [*lines[:6], with_field(lines[6], 88, 94, "0000001"), *lines[7:]],
            (7, "batch number 1 does not ascend (the previous batch was 1)"),
        ),
    ],
)
def test_malformed_files_are_refused_at_their_first_problem(name, change, expected):
    assert refused(change(golden_lines(name))) == expected


def test_line_endings_and_trailing_blank_lines_are_accepted():
    text = (GOLDEN / "mixed.ach").read_text()
    expected = read_file(text)
    assert read_file(text.rstrip("\n")) == expected
    assert read_file(text.replace("\n", "\r\n")) == expected
    assert read_file(text + "\n\n") == expected
    lines = text.splitlines()
    assert refused([*lines[:3], "", *lines[3:]]) == (
        4,
        "the record is 0 characters long; every record is 94",
    )


def test_a_format_error_is_a_nacha_error_and_a_value_error():
    assert issubclass(NachaFormatError, NachaError)
    assert issubclass(NachaFormatError, ValueError)
    assert str(NachaFormatError(3, "why")) == "line 3: why"


def test_a_blank_creation_time_is_read_as_none():
    lines = golden_lines("web")
    lines[0] = with_field(lines[0], 30, 33, "    ")
    assert read_file("\n".join(lines)).header.creation_time is None


def test_the_operator_s_settlement_date_is_read():
    lines = golden_lines("web")
    lines[1] = with_field(lines[1], 76, 78, "062")
    assert read_file("\n".join(lines)).batches[0].header.settlement_date == "062"


def test_a_return_file_from_the_bank_simulator_round_trips():
    outbound = (GOLDEN / "mixed.ach").read_text()
    text = returns_for(
        outbound,
        returns={trace(1): "R01", trace(5): "R03"},
        corrections={trace(4): ("C01", "4000124")},
        today=date(2026, 3, 5),
    )
    ach = read_file(text)
    assert (ach.header.immediate_destination, ach.header.immediate_origin) == (" 011000015", " 011000015")
    returned = [(entry, entry.return_addenda) for batch in ach.batches for entry in batch.entries]
    assert [(a.reason_code, a.original_trace) for _, a in returned if a] == [("R01", trace(1)), ("R03", trace(5))]
    entry, addenda = returned[0]
    assert addenda == ReturnAddenda(
        reason_code="R01",
        original_trace=trace(1),
        date_of_death=None,
        original_rdfi="11100002",
        information="",
        trace=entry.trace_number,
    )
    [cor] = [batch for batch in ach.batches if batch.header.sec_code == "COR"]
    assert cor.entries[0].correction == CorrectionAddenda(
        change_code="C01",
        original_trace=trace(4),
        original_rdfi="12100024",
        corrected_data="4000124",
        trace=cor.entries[0].trace_number,
    )


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(samples.SAMPLES)),
    st.integers(min_value=0, max_value=1899),
    st.sampled_from("0123456789 AZ9\r-é"),
)
def test_any_one_character_change_is_read_or_refused_cleanly(name, position, char):
    """A damaged file never crashes the reader: it is either still valid (a change in free text) or
    refused with a NachaFormatError."""
    text = (GOLDEN / f"{name}.ach").read_text()
    position %= len(text)
    damaged = text[:position] + char + text[position + 1 :]
    line = _refused_at(damaged)
    assert line is None or 1 <= line <= damaged.count("\n") + 1


def _refused_at(text):
    """The line a file is refused at, or None when it is read."""
    try:
        read_file(text)
    except NachaFormatError as error:
        return error.line
    return None
