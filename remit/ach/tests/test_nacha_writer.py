"""The NACHA writer, checked field by field with the independent parser (nacha_parser.py), against
golden files byte for byte, and on input it must refuse."""

import io
import tracemalloc
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.ach.nacha import (
    MAX_AMOUNT_CENTS,
    BatchHeader,
    CorrectionAddenda,
    Entry,
    FileTotals,
    NachaError,
    ReturnAddenda,
    ach_text,
    write_file,
)
from remit.ach.reader import read_file
from remit.ach.tests import samples
from remit.ach.tests.nacha_parser import LAYOUTS, check_file
from remit.ach.tests.samples import ODFI, RDFI_BUSINESS, RDFI_CHECKING, RDFI_SAVINGS, batch_header, trace, write

GOLDEN = Path(__file__).parent / "golden"
BLANK = " "


def test_the_independent_layouts_cover_every_position_once():
    for kind, layout in LAYOUTS.items():
        positions = [p for _, first, last in layout for p in range(first, last + 1)]
        assert positions == list(range(1, 95)), kind


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_golden_files_byte_for_byte(name):
    golden = (GOLDEN / f"{name}.ach").read_bytes()
    written = write(samples.SAMPLES[name]())
    assert written.encode("ascii") == golden
    check_file(golden.decode("ascii"))


def test_web_file_field_by_field():
    text, totals = samples.write_with_totals(samples.web_only())
    records = check_file(text)
    kinds = ["file_header", "batch_header", "entry", "entry", "entry", "batch_control", "file_control"]
    assert [r["kind"] for r in records] == [*kinds, "padding", "padding", "padding"]
    assert records[0] == {
        "kind": "file_header",
        "record_type": "1",
        "priority_code": "01",
        "immediate_destination": " 011000015",
        "immediate_origin": "1234567890",
        "creation_date": "260302",
        "creation_time": "1645",
        "file_id_modifier": "A",
        "record_size": "094",
        "blocking_factor": "10",
        "format_code": "1",
        "destination_name": "FIRST TEST BANK".ljust(23),
        "origin_name": "ACME WATER CO".ljust(23),
        "reference_code": BLANK * 8,
    }
    assert records[1] == {
        "kind": "batch_header",
        "record_type": "5",
        "service_class": "225",
        "company_name": "ACME WATER".ljust(16),
        "discretionary": BLANK * 20,
        "company_id": "1234567890",
        "sec_code": "WEB",
        "entry_description": "INVOICE   ",
        "descriptive_date": BLANK * 6,
        "effective_date": "260303",
        "settlement_date": BLANK * 3,
        "originator_status": "1",
        "odfi": "01100001",
        "batch_number": "0000001",
    }
    assert records[2] == {
        "kind": "entry",
        "record_type": "6",
        "transaction_code": "27",
        "rdfi": "11100002",
        "check_digit": "5",
        "account_number": "123456789".ljust(17),
        "amount": "0000012550",
        "individual_id": "C1001".ljust(15),
        "individual_name": "JOSE NUNEZ".ljust(22),  # "José Núñez": accents dropped, upper case
        "discretionary": "S ",
        "addenda_indicator": "0",
        "trace": "011000010000001",
    }
    assert records[3]["transaction_code"] == "37"
    assert records[3]["rdfi"] + records[3]["check_digit"] == RDFI_SAVINGS
    assert records[3]["account_number"] == "000987654321     "  # leading zeros kept
    assert records[3]["individual_name"] == "MARY-ANN O'BRIEN".ljust(22)  # typographic apostrophe → '
    assert records[3]["discretionary"] == "R "
    assert (records[4]["transaction_code"], records[4]["amount"]) == ("28", "0000000000")  # a prenote
    assert records[5] == {
        "kind": "batch_control",
        "record_type": "8",
        "service_class": "225",
        "entry_addenda_count": "000003",
        "entry_hash": "0024300006",  # 11100002 + 02100002 + 11100002
        "total_debits": "000000016750",
        "total_credits": "000000000000",
        "company_id": "1234567890",
        "mac": BLANK * 19,
        "reserved": BLANK * 6,
        "odfi": "01100001",
        "batch_number": "0000001",
    }
    assert records[6] == {
        "kind": "file_control",
        "record_type": "9",
        "batch_count": "000001",
        "block_count": "000001",
        "entry_addenda_count": "00000003",
        "entry_hash": "0024300006",
        "total_debits": "000000016750",
        "total_credits": "000000000000",
        "reserved": BLANK * 39,
    }
    assert all(record == {"kind": "padding", "nines": "9" * 94} for record in records[7:])
    assert totals == FileTotals(
        batch_count=1,
        block_count=1,
        entry_addenda_count=3,
        entry_hash=24300006,
        total_debit_cents=16750,
        total_credit_cents=0,
        record_count=10,
    )


def test_ccd_file_with_05_addenda_field_by_field():
    records = check_file(write(samples.ccd_only()))
    assert [r["kind"] for r in records[:7]] == [
        "file_header",
        "batch_header",
        "entry",
        "addenda_05",
        "entry",
        "addenda_05",
        "batch_control",
    ]
    assert records[1]["sec_code"] == "CCD"
    assert records[2] == {
        "kind": "entry",
        "record_type": "6",
        "transaction_code": "27",
        "rdfi": "12100024",
        "check_digit": "8",
        "account_number": "4000123".ljust(17),
        "amount": "0001234567",
        "individual_id": "B2001".ljust(15),
        "individual_name": "NORTHWIND TRADERS LLC ",
        "discretionary": "  ",
        "addenda_indicator": "1",
        "trace": "011000010000001",
    }
    assert records[3] == {
        "kind": "addenda_05",
        "record_type": "7",
        "addenda_type": "05",
        "information": "INV 2026-0012, INV 2026-0013".ljust(80),
        "sequence": "0001",
        "entry_sequence": "0000001",
    }
    assert records[4]["individual_name"] == "CONTOSO PLUMBING AND H"  # cut at 22
    assert records[5]["entry_sequence"] == "0000002"
    control = records[6]
    assert (control["entry_addenda_count"], control["entry_hash"]) == ("000004", "0023200026")
    assert (control["total_debits"], control["total_credits"]) == ("000001334566", "000000000000")
    assert records[7]["entry_addenda_count"] == "00000004"


def test_mixed_file_has_two_batches_and_file_totals_over_both():
    text, totals = samples.write_with_totals(samples.mixed())
    records = check_file(text)
    headers = [r for r in records if r["kind"] == "batch_header"]
    assert [(h["sec_code"], h["batch_number"]) for h in headers] == [("WEB", "0000001"), ("CCD", "0000002")]
    file_control = next(r for r in records if r["kind"] == "file_control")
    assert file_control["batch_count"] == "000002"
    assert file_control["block_count"] == "000002"  # 13 records before padding
    assert file_control["entry_hash"] == f"{24300006 + 23200026:010d}"
    assert file_control["total_debits"] == f"{16750 + 1334566:012d}"
    assert len(records) == 20
    assert (totals.batch_count, totals.block_count, totals.record_count) == (2, 2, 20)


def test_balanced_file_offsets_the_debits_with_one_credit():
    text, totals = samples.write_with_totals(samples.balanced())
    records = check_file(text)
    assert records[1]["service_class"] == "200"
    offset = records[5]
    assert (offset["transaction_code"], offset["rdfi"] + offset["check_digit"]) == ("22", ODFI)
    assert offset["amount"] == "0000016750"
    assert offset["discretionary"] == "  "  # a credit in a WEB batch carries no payment type
    control = records[6]
    assert control["entry_addenda_count"] == "000004"  # the offset counts
    assert control["entry_hash"] == f"{24300006 + 1100001:010d}"  # and hashes
    assert control["total_debits"] == control["total_credits"] == "000000016750"
    assert totals.total_debit_cents == totals.total_credit_cents == 16750


def test_a_balanced_file_may_offset_its_debits_in_a_credits_only_batch_of_its_own():
    text, totals = samples.write_with_totals(samples.balanced_offset_batch())
    records = check_file(text)
    headers = [r for r in records if r["kind"] == "batch_header"]
    assert [(h["sec_code"], h["service_class"]) for h in headers] == [("WEB", "225"), ("CCD", "220")]
    controls = [r for r in records if r["kind"] == "batch_control"]
    assert [(c["total_debits"], c["total_credits"]) for c in controls] == [
        ("000000016750", "000000000000"),
        ("000000000000", "000000016750"),
    ]
    assert (totals.batch_count, totals.total_debit_cents, totals.total_credit_cents) == (2, 16750, 16750)


def test_return_and_correction_addenda_field_by_field():
    """The records a bank sends back: a return (99) and a notification of change (98)."""
    returned = Entry(
        26,
        ODFI,
        "123456789",
        12_550,
        "C1001",
        "Jose Nunez",
        "111000020000001",
        "S ",
        addenda=ReturnAddenda("R01", trace(1), None, "11100002", "", "111000020000001"),
    )
    corrected = Entry(
        26,
        ODFI,
        "123456789",
        0,
        "C1001",
        "Jose Nunez",
        "111000020000002",
        addenda=CorrectionAddenda("C01", trace(1), "11100002", "987654321", "111000020000002"),
    )
    deceased = replace(
        returned,
        trace_number="111000020000003",
        addenda=ReturnAddenda("R15", trace(2), date(2026, 2, 14), "11100002", "ESTATE", "111000020000003"),
    )
    text = write(
        [
            (replace(batch_header(1, "WEB"), odfi_routing=RDFI_CHECKING), [returned, deceased]),
            (replace(batch_header(2, "COR"), odfi_routing=RDFI_CHECKING), [corrected]),
        ]
    )
    records = check_file(text)
    assert records[3] == {
        "kind": "addenda_99",
        "record_type": "7",
        "addenda_type": "99",
        "reason_code": "R01",
        "original_trace": "011000010000001",
        "date_of_death": BLANK * 6,
        "original_rdfi": "11100002",
        "information": BLANK * 44,
        "trace": "111000020000001",
    }
    assert (records[5]["date_of_death"], records[5]["information"]) == ("260214", "ESTATE".ljust(44))
    assert records[9] == {
        "kind": "addenda_98",
        "record_type": "7",
        "addenda_type": "98",
        "change_code": "C01",
        "original_trace": "011000010000001",
        "reserved_1": BLANK * 6,
        "original_rdfi": "11100002",
        "corrected_data": "987654321".ljust(29),
        "reserved_2": BLANK * 15,
        "trace": "111000020000002",
    }
    assert (records[2]["transaction_code"], records[8]["transaction_code"], records[8]["amount"]) == (
        "26",
        "26",
        "0" * 10,
    )
    assert records[6]["total_debits"] == f"{2 * 12550:012d}"  # a returned debit counts as a debit


@pytest.mark.parametrize(
    ("entry_count", "records_before_padding", "block_count"),
    [(1, 5, 1), (6, 10, 1), (7, 11, 2), (16, 20, 2), (17, 21, 3)],
)
def test_padding_fills_the_last_block_of_ten(entry_count, records_before_padding, block_count):
    entries = [samples.web_entries()[0]] * entry_count
    entries = [replace(entry, trace_number=trace(i + 1)) for i, entry in enumerate(entries)]
    text, totals = samples.write_with_totals([(batch_header(1, "WEB"), entries)])
    records = check_file(text)
    assert len(records) == block_count * 10 == totals.record_count
    assert sum(1 for r in records if r["kind"] == "padding") == block_count * 10 - records_before_padding
    assert totals.block_count == block_count
    assert text.count("\n") == len(records)
    assert all(len(line) == 94 for line in text.splitlines())


def test_entry_hash_keeps_the_rightmost_ten_digits():
    big = "999999992"  # RDFI identification 99999999
    entries = [replace(samples.web_entries()[0], routing_number=big, trace_number=trace(i + 1)) for i in range(200)]
    text, totals = samples.write_with_totals([(batch_header(1, "WEB"), entries)])
    records = check_file(text)
    assert 200 * 99_999_999 == 19_999_999_800
    assert totals.entry_hash == 9_999_999_800
    assert next(r for r in records if r["kind"] == "batch_control")["entry_hash"] == "9999999800"


def test_alphanumeric_fields_are_cleaned_cut_and_upper_case():
    header = samples.file_header(destination_name="Banco Español de Crédito S.A. (branch 12)", reference_code="ref")
    batch = replace(
        batch_header(1, "WEB"),
        company_name="Ünïcödé Wätér & Power Authority",
        entry_description="invoice payments",
        discretionary="autopay\tbatch",
        descriptive_date="Mär 26",
    )
    entry = replace(samples.web_entries()[0], individual_name="François 中村 Øster")
    records = check_file(write([(batch, [entry])], header))
    assert records[0]["destination_name"] == "BANCO ESPANOL DE CREDIT"
    assert records[0]["reference_code"] == "REF     "
    assert records[1]["company_name"] == "UNICODE WATER & "
    assert records[1]["entry_description"] == "INVOICE PA"
    assert records[1]["discretionary"] == "AUTOPAY BATCH       "
    assert records[1]["descriptive_date"] == "MAR 26"
    assert records[2]["individual_name"] == "FRANCOIS ?? ?STER     "


def test_ach_text_examples():
    assert ach_text("José") == "JOSE"
    assert ach_text("straße") == "STRASSE"
    assert ach_text("O’Brien – “Jr”") == 'O\'BRIEN - "JR"'
    assert ach_text("a\tb\nc\u00a0d") == "A B C D"
    assert ach_text("東京") == "??"
    assert ach_text("ﬁ №5") == "FI NO5"


@given(st.text())
def test_ach_text_is_printable_upper_case_ascii(text):
    cleaned = ach_text(text)
    assert all(" " <= char <= "~" for char in cleaned)
    assert cleaned == cleaned.upper()
    assert ach_text(cleaned) == cleaned


def test_the_immediate_destination_may_be_ten_characters_as_given():
    """A file sent to an originator (a return file) is addressed to its 10-character ID."""
    records = check_file(write(samples.web_only(), samples.file_header(immediate_destination="9876543210")))
    assert records[0]["immediate_destination"] == "9876543210"
    records = check_file(write(samples.web_only(), samples.file_header(immediate_origin=" 011000015")))
    assert records[0]["immediate_origin"] == " 011000015"


def test_an_immediate_origin_of_nine_digits_is_a_routing_number_written_after_a_blank():
    """moov-io/ach's RequireABAOrigin: the origin is then an ABA routing number, its check digit right."""
    text = write(samples.web_only(), samples.file_header(immediate_origin="111000025"))
    assert check_file(text)[0]["immediate_origin"] == " 111000025"
    assert read_file(text).header.immediate_origin == " 111000025"
    with pytest.raises(NachaError, match="immediate origin 000000000 is not a bank"):
        write(samples.web_only(), samples.file_header(immediate_origin="000000000"))


def test_a_file_without_batches_is_a_header_a_control_and_padding():
    text, totals = samples.write_with_totals([])
    records = check_file(text)
    assert [r["kind"] for r in records] == ["file_header", "file_control", *["padding"] * 8]
    assert totals == FileTotals(0, 1, 0, 0, 0, 0, 10)


def _web(**changes):
    return [(batch_header(1, "WEB"), [replace(samples.web_entries()[0], **changes)])]


def _batch(**changes):
    return [(replace(batch_header(1, "WEB"), **changes), samples.web_entries())]


BAD_INPUT = [
    ("negative amount", _web(amount_cents=-1), "amount -1 is negative"),
    ("amount too large", _web(amount_cents=10_000_000_000), "more than an entry can carry"),
    ("fractional amount", _web(amount_cents=12.5), "not a whole number of cents"),
    ("prenote with an amount", _web(transaction_code=28, amount_cents=100), "a prenote (transaction code 28)"),
    ("live debit of zero", _web(amount_cents=0), "needs an amount above 0"),
    ("routing of 8 digits", _web(routing_number="11100002"), "'11100002' is not 9 digits"),
    ("routing with letters", _web(routing_number="11100002X"), "is not 9 digits"),
    ("routing with non-ASCII digits", _web(routing_number="١١١٠٠٠٠٢٥"), "is not 9 digits"),
    ("routing check digit", _web(routing_number="011000016"), "wrong check digit (expected 5)"),
    ("routing of zeros", _web(routing_number="000000000"), "000000000 is not a bank"),
    ("trace of 14 digits", _web(trace_number="01100001000001"), "is not 15 digits"),
    ("unknown transaction code", _web(transaction_code=24), "transaction code 24 is not supported"),
    ("credit in a debits-only batch", _web(transaction_code=22, discretionary=""), "debits only (225)"),
    ("WEB debit without payment type", _web(discretionary=""), "needs payment type 'R ' or 'S '"),
    ("account number too long", _web(account_number="1" * 18), "is not 1 to 17"),
    ("account number with spaces", _web(account_number="1234 5678"), "is not 1 to 17"),
    ("individual ID too long", _web(individual_id="C" * 16), "longer than 15 characters"),
    ("blank name", _web(individual_name="  "), "individual name of entry 011000010000001 is blank"),
    ("blank addenda", _web(addenda=" "), "pass None for no addenda"),
    (
        "return addenda on a debit",
        _web(addenda=ReturnAddenda("R01", trace(9), None, "11100002", "", trace(1))),
        "can't",
    ),
    ("return entry without addenda", _web(transaction_code=26), "needs a ReturnAddenda"),
    ("service class", _batch(service_class=220), "credits only (220) but has a debit"),
    ("unknown service class", _batch(service_class=201), "service class 201 is not one of"),
    ("SEC code", _batch(sec_code="PPX"), "SEC code 'PPX'"),
    ("company ID too long", _batch(company_id="12345678901"), "longer than 10 characters"),
    ("blank company name", _batch(company_name=""), "company name is blank"),
    ("blank description", _batch(entry_description=" "), "entry description is blank"),
    ("ODFI routing", _batch(odfi_routing="01100001"), "ODFI routing number '01100001' is not 9 digits"),
    ("batch number", _batch(batch_number=0), "batch number 0 is not between"),
]


@pytest.mark.parametrize(("batches", "message"), [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_refused(batches, message):
    with pytest.raises(NachaError) as refused:
        write(batches)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"immediate_destination": "011000016"}, "immediate destination 011000016 has a wrong check digit"),
        ({"immediate_destination": "0110000"}, "neither a 9-digit routing number nor 10 characters"),
        ({"immediate_origin": "123456789"}, "immediate origin 123456789 has a wrong check digit"),
        ({"immediate_origin": "12345678"}, "immediate origin '12345678' is neither a 9-digit routing number"),
        ({"immediate_origin": "12345678é0"}, "is not 10 printable ASCII"),
        ({"file_id_modifier": "a"}, "file ID modifier 'a'"),
        ({"file_id_modifier": "AB"}, "file ID modifier 'AB'"),
    ],
)
def test_bad_file_header_is_refused(changes, message):
    with pytest.raises(NachaError) as refused:
        write(samples.web_only(), samples.file_header(**changes))
    assert message in str(refused.value)


def test_refuses_batch_totals_beyond_12_digits():
    entry = replace(samples.web_entries()[0], amount_cents=MAX_AMOUNT_CENTS)
    entries = [replace(entry, trace_number=trace(i + 1)) for i in range(101)]  # $1,009,999,999.99
    with pytest.raises(NachaError, match="batch 1 total debits 1009999999899 does not fit in 12 digits"):
        write([(batch_header(1, "WEB"), entries)])


def test_refuses_traces_that_do_not_ascend_and_batch_numbers_that_do_not():
    first, second, _ = samples.web_entries()
    with pytest.raises(NachaError, match="does not ascend within the batch"):
        write([(batch_header(1, "WEB"), [second, first])])
    with pytest.raises(NachaError, match="batch number 1 does not ascend"):
        write([(batch_header(1, "WEB"), [first]), (batch_header(1, "WEB"), [second])])
    with pytest.raises(NachaError, match="batch 1 has no entries"):
        write([(batch_header(1, "WEB"), [])])


def test_refuses_cor_entries_that_are_not_notifications_of_change():
    correction = CorrectionAddenda("C01", trace(1), "11100002", "987654321", trace(5))
    entry = Entry(26, ODFI, "1", 100, "", "X", trace(5), addenda=correction)
    with pytest.raises(NachaError, match="must be a notification of change"):
        write([(batch_header(1, "COR"), [entry])])
    with pytest.raises(NachaError, match="change code 'X01'"):
        write(
            [(batch_header(1, "COR"), [replace(entry, amount_cents=0, addenda=replace(correction, change_code="X01"))])]
        )
    with pytest.raises(
        NachaError, match="addenda trace 011000010000005 differs from its entry's trace 011000010000001"
    ):
        write([(batch_header(1, "COR"), [replace(entry, amount_cents=0, trace_number=trace(1))])])


def test_it_streams_each_record_before_taking_the_next_entry():
    out = io.StringIO()

    def entries():
        for sequence in range(1, 50):
            if sequence > 1:  # the previous entry is already written
                assert out.getvalue().rstrip("\n").endswith(trace(sequence - 1))
            yield replace(samples.web_entries()[0], trace_number=trace(sequence))

    def batches():
        yield batch_header(1, "WEB"), entries()
        assert out.getvalue().count("\n") == 1 + 1 + 49 + 1  # the first batch is complete
        yield batch_header(2, "WEB"), iter([replace(samples.web_entries()[0], trace_number=trace(99))])

    write_file(out, samples.file_header(), batches())


def test_memory_does_not_grow_with_the_number_of_entries():
    def peak(count):
        base = samples.web_entries()[0]
        entries = (replace(base, trace_number=trace(i + 1)) for i in range(count))
        sink = _CountingSink()
        tracemalloc.start()
        write_file(sink, samples.file_header(), [(batch_header(1, "WEB"), entries)])
        _, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert sink.lines >= count
        return peak_bytes

    small, large = peak(1_000), peak(20_000)
    assert large < small + 20_000, (small, large)


class _CountingSink(io.StringIO):
    """Counts what is written, keeping none of it."""

    lines = 0

    def write(self, text):
        self.lines += text.count("\n")
        return len(text)


def test_a_datetime_effective_date_writes_its_date():
    batch = replace(batch_header(1, "CCD"), effective_date=datetime(2026, 12, 31, 23, 59))
    records = check_file(write([(batch, samples.ccd_entries())]))
    assert records[1]["effective_date"] == "261231"


def test_a_batch_header_takes_only_the_first_8_digits_of_the_odfi_routing():
    batch = BatchHeader(225, "Acme", "1", "CCD", "INVOICE", date(2026, 1, 2), RDFI_BUSINESS, 7)
    records = check_file(write([(batch, samples.ccd_entries())]))
    assert records[1]["odfi"] == "12100024"
    assert records[1]["company_id"] == "1         "
    assert records[1]["batch_number"] == "0000007"
