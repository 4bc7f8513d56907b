"""The reader takes the layouts banks really send (those moov-io/ach reads): other framings of the same
records read as the same file, codes in any case, service class 200, the three layouts of addenda 99,
a NOC whose addenda trace is not its entry's, and batches of other SEC codes read for their controls
only. What is damaged is still refused, saying where."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.ach.bank_sim import returns_for
from remit.ach.reader import (
    ContestedAddenda,
    CorrectionAddenda,
    DishonoredAddenda,
    NachaFormatError,
    OtherAddenda,
    ReturnAddenda,
    read_file,
)
from remit.ach.tests import corpus, samples
from remit.ach.tests.corpus import CORPUS, TRACES, blocks_per_line, crlf, no_line_breaks, trimmed, without_padding

GOLDEN = Path(__file__).parent / "golden"


def golden(name="mixed"):
    return (GOLDEN / f"{name}.ach").read_text()


def a_return_file():
    return returns_for(
        golden(),
        returns={samples.trace(1): "R01", samples.trace(5): "R03"},
        corrections={samples.trace(4): ("C01", "4000124")},
        today=date(2026, 3, 5),
    )


def refused(text):
    with pytest.raises(NachaFormatError) as error:
        read_file(text)
    return error.value.line, error.value.reason


FRAMINGS = {
    "crlf": crlf,
    "cr": lambda text: text.replace("\n", "\r"),
    "no line breaks": no_line_breaks,
    "no line breaks, a final newline": lambda text: no_line_breaks(text) + "\n",
    "blocks of 940 per line": blocks_per_line,
    "no padding": without_padding,
    "some padding": lambda text: "".join(text.splitlines(keepends=True)[:-2]),
    "trailing spaces cut": trimmed,
    "spaces after the 94th character": lambda text: "".join(r + "   \n" for r in text.splitlines()),
    "a trailing line of spaces": lambda text: text + " " * 94 + "\n",
    "trailing blank lines and spaces": lambda text: text + "\n  \n\t\n\n",
    "no padding, no line breaks, spaces to the block's end": lambda text: no_line_breaks(without_padding(text)).ljust(
        940
    ),
}


@pytest.mark.parametrize("framing", sorted(FRAMINGS))
@pytest.mark.parametrize(
    "text", [golden("mixed"), golden("balanced"), a_return_file()], ids=["mixed", "balanced", "returns"]
)
def test_another_framing_of_the_same_records_is_the_same_file(text, framing):
    expected = read_file(text)
    read = read_file(FRAMINGS[framing](text))
    assert read.batches == expected.batches
    assert (read.header, read.control) == (expected.header, expected.control)
    assert read.records_sha256 == expected.records_sha256


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_mix_of_line_endings_trimmed_spaces_padding_and_trailing_blanks_is_the_same_file(data):
    text = a_return_file()
    records = text.splitlines()
    padding = sum(1 for r in records if r == "9" * 94)
    kept = records[: len(records) - padding + data.draw(st.integers(0, padding))]
    endings = st.sampled_from(["\n", "\r\n", "\r", "   \n"])
    framed = "".join(
        (record.rstrip(" ") if data.draw(st.booleans()) else record) + data.draw(endings) for record in kept
    )
    framed += data.draw(st.sampled_from(["", "\n", " " * 94 + "\n", "\n \n\t\n"]))
    assert read_file(framed).records_sha256 == read_file(text).records_sha256


def test_codes_are_read_whatever_their_case_and_text_as_written():
    text = a_return_file()
    lower = read_file(text.lower())
    upper = read_file(text)
    assert [b.header.sec_code for b in lower.batches] == [b.header.sec_code for b in upper.batches]
    assert lower.header.file_id_modifier == "A"
    returned = [e.answer for b in lower.batches for e in b.entries]
    assert [a.change_code if isinstance(a, CorrectionAddenda) else a.reason_code for a in returned if a] == [
        "R01",
        "R03",
        "C01",
    ]
    assert lower.batches[0].header.company_name == "acme water"  # text as written
    web = read_file(golden("web").lower())
    assert [e.discretionary for e in web.batches[0].entries] == ["S", "R", "S"]  # the WEB payment type


def test_a_service_class_200_batch_of_debit_and_credit_returns_is_read():
    ach = read_file((CORPUS / "moov-return-web.ach").read_text())
    assert [b.header.service_class for b in ach.batches] == [200, 200]
    debit, credit = (b.entries[0] for b in ach.batches)
    assert (debit.transaction_code, debit.is_debit, credit.transaction_code, credit.is_debit) == (26, True, 21, False)
    assert (ach.control.total_debit_cents, ach.control.total_credit_cents) == (25000, corpus.OFFSET_CENTS)
    assert ach.record_count == 10  # no padding: exactly ten records
    assert debit.individual_id == "MjMxNDAwMjAtOGQ" and ach.batches[0].header.company_name == "AcmeSupplyCo"


def test_a_noc_is_matched_by_its_original_trace_whatever_its_own_trace_says():
    ach = read_file((CORPUS / "noc-c01-addenda-trace-differs.ach").read_text())
    [batch] = ach.batches
    [entry] = batch.entries
    assert batch.header.effective_date is None  # written 000000, as in moov-io/ach's cor-example.ach
    assert entry.correction == CorrectionAddenda(
        change_code="C01",
        original_trace=TRACES["P3"],
        original_rdfi="01100001",
        corrected_data="5550009999",
        trace="091012980000088",  # not the entry's
    )
    assert entry.trace_number == "011000010000001"


def test_the_three_layouts_of_addenda_99():
    returned = read_file((CORPUS / "r01-plain.ach").read_text()).batches[0].entries[0]
    assert isinstance(returned.answer, ReturnAddenda) and returned.return_addenda == returned.answer
    dishonored = read_file((CORPUS / "dishonored-r68.ach").read_text()).batches[0].entries[0]
    assert dishonored.return_addenda is None
    assert dishonored.dishonored == DishonoredAddenda(
        reason_code="R68",
        original_trace=TRACES["P1"],
        original_rdfi="01100001",
        return_trace=corpus.RETURN_TRACE,
        return_settlement_date="",
        return_reason="R01",
        information="",
        trace=dishonored.trace_number,
    )
    contested = read_file((CORPUS / "contested-r72.ach").read_text()).batches[0].entries[0]
    assert contested.contested == ContestedAddenda(
        reason_code="R72",
        original_trace=TRACES["P1"],
        date_returned=corpus.TODAY,
        original_rdfi="01100001",
        return_trace=corpus.RETURN_TRACE,
        return_reason="R01",
        dishonored_trace=corpus.DISHONOR_TRACE,
        dishonored_reason="R68",
        trace=contested.trace_number,
    )
    assert contested.answer == contested.contested


def test_a_batch_of_another_sec_code_is_read_for_its_controls_only():
    ach = read_file((CORPUS / "not-ours-iat-batch.ach").read_text())
    iat, ours = ach.batches
    assert (iat.header.sec_code, iat.header.interpreted, ours.header.interpreted) == ("IAT", False, True)
    [entry] = iat.entries
    assert all(isinstance(a, OtherAddenda) for a in entry.addenda) and entry.answer is None
    assert [a.type_code for a in entry.addenda if isinstance(a, OtherAddenda)] == [
        "10",
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
    ]
    assert iat.control.entry_addenda_count == 8


def test_a_batch_of_another_sec_code_with_wrong_controls_is_still_refused():
    lines = (CORPUS / "not-ours-iat-batch.ach").read_text().splitlines()
    lines[10] = corpus.with_field(lines[10], 5, 10, "000007")  # its entry/addenda count
    assert refused("\n".join(lines)) == (11, "entry/addenda count is 7, but the batch's entries and addenda number 8")


def test_an_adv_batch_is_refused():
    lines = golden("web").splitlines()
    lines[1] = corpus.with_field(lines[1], 51, 53, "ADV")
    assert refused("\n".join(lines))[0] == 2


def test_an_error_in_a_file_without_line_breaks_names_the_record_and_its_characters():
    lines = a_return_file().splitlines()
    lines[2] = corpus.with_field(lines[2], 30, 39, "00000X0000")
    line, reason = refused("".join(lines))
    assert line == 3
    assert reason == "amount (positions 30-39) is not numeric: '00000X0000' (record 3: characters 189-282 of line 1)"


def test_a_short_line_that_lost_more_than_spaces_is_refused_by_its_length():
    lines = golden("web").splitlines()
    lines[2] = lines[2][:60]
    line, reason = refused("\n".join(lines))
    assert line == 3 and reason.startswith("the record is 60 characters long; every record is 94 (read with spaces")


def test_a_long_line_that_is_not_records_or_spaces_is_refused():
    lines = golden("web").splitlines()
    lines[2] += "X"
    assert refused("\n".join(lines)) == (3, "the record is 95 characters long; every record is 94")


def test_a_blank_line_between_records_is_refused():
    lines = golden("web").splitlines()
    assert refused("\n".join([*lines[:3], "", *lines[3:]])) == (
        4,
        "the record is 0 characters long; every record is 94",
    )


def test_padding_may_be_missing_but_not_go_past_the_block_count():
    lines = golden("web").splitlines()
    assert read_file("\n".join(lines[:7])).record_count == 7
    assert refused("\n".join([*lines, lines[-1]])) == (11, "padding goes beyond the 10 records of the block count")


def test_an_originator_status_0_batch_is_read():
    """Returns and NOCs the ACH operator itself makes carry originator status 0."""
    lines = a_return_file().splitlines()
    lines[1] = corpus.with_field(lines[1], 79, 79, "0")
    assert read_file("\n".join(lines)).batches[0].header.originator_status == "0"
