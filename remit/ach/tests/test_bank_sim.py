"""The bank simulator: the return / notification-of-change file the ODFI sends back for an outbound
file, checked with the independent parser and read back with the reader."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.ach.bank_sim import returns_for
from remit.ach.reader import read_file
from remit.ach.tests import samples
from remit.ach.tests.nacha_parser import check_digit, check_file
from remit.ach.tests.samples import ODFI, RDFI_BUSINESS, RDFI_CHECKING, RDFI_SAVINGS, trace

GOLDEN = Path(__file__).parent / "golden"
TODAY = date(2026, 3, 5)


def outbound(name="mixed"):
    return (GOLDEN / f"{name}.ach").read_text()


def test_returned_debits_go_back_to_the_odfi_with_a_99_addenda():
    text = returns_for(outbound(), returns={trace(1): "R01", trace(2): "R10"}, today=TODAY)
    records = check_file(text)
    assert [r["kind"] for r in records[:9]] == [
        "file_header",
        "batch_header",
        "entry",
        "addenda_99",
        "batch_control",
        "batch_header",
        "entry",
        "addenda_99",
        "batch_control",
    ]
    header = records[0]
    # From the ODFI, to the originator through the ODFI: both its routing number, never the 1 + EIN.
    assert (header["immediate_destination"], header["immediate_origin"]) == (" 011000015", " 011000015")
    assert (header["destination_name"], header["origin_name"]) == (
        "ACME WATER CO".ljust(23),
        "FIRST TEST BANK".ljust(23),
    )
    assert (header["creation_date"], header["creation_time"]) == ("260305", "0000")
    # One batch per returning RDFI, sorted by its routing: 02100002 (savings) before 11100002.
    savings_batch, checking_batch = records[1], records[5]
    assert savings_batch == {
        "kind": "batch_header",
        "record_type": "5",
        "service_class": "225",
        "company_name": "ACME WATER".ljust(16),
        "discretionary": " " * 20,
        "company_id": "1234567890",
        "sec_code": "WEB",
        "entry_description": "INVOICE   ",
        "descriptive_date": " " * 6,
        "effective_date": "260305",
        "settlement_date": "   ",
        "originator_status": "1",
        "odfi": RDFI_SAVINGS[:8],  # the returning bank originates the return batch
        "batch_number": "0000001",
    }
    assert (checking_batch["odfi"], checking_batch["batch_number"]) == (RDFI_CHECKING[:8], "0000002")
    assert (
        records[2]
        == {
            "kind": "entry",
            "record_type": "6",
            "transaction_code": "36",  # return of a savings debit
            "rdfi": ODFI[:8],  # addressed to the original ODFI
            "check_digit": ODFI[8],
            "account_number": "000987654321".ljust(17),
            "amount": "0000004200",
            "individual_id": "C1002".ljust(15),
            "individual_name": "MARY-ANN O'BRIEN".ljust(22),
            "discretionary": "R ",
            "addenda_indicator": "1",
            "trace": "021000020000001",
        }
    )
    assert records[3] == {
        "kind": "addenda_99",
        "record_type": "7",
        "addenda_type": "99",
        "reason_code": "R10",
        "original_trace": trace(2),
        "date_of_death": " " * 6,
        "original_rdfi": RDFI_SAVINGS[:8],
        "information": " " * 44,
        "trace": "021000020000001",
    }
    assert (records[6]["transaction_code"], records[6]["amount"]) == ("26", "0000012550")
    assert (records[7]["reason_code"], records[7]["original_trace"]) == ("R01", trace(1))
    assert records[7]["trace"] == records[6]["trace"] == "111000020000002"
    assert records[8]["total_debits"] == "000000012550"


def test_a_notification_of_change_is_a_cor_batch_with_a_98_addenda_and_no_money():
    text = returns_for(
        outbound(),
        returns={},
        corrections={trace(4): ("C01", "4000124"), trace(5): ("C05", "27")},
        today=TODAY,
    )
    records = check_file(text)
    headers = [r for r in records if r["kind"] == "batch_header"]
    assert [(h["sec_code"], h["service_class"], h["odfi"]) for h in headers] == [
        ("COR", "225", RDFI_CHECKING[:8]),
        ("COR", "225", RDFI_BUSINESS[:8]),
    ]
    entries = [r for r in records if r["kind"] == "entry"]
    assert [(e["transaction_code"], e["amount"], e["account_number"].strip()) for e in entries] == [
        ("36", "0000000000", "4000999"),  # C05: the savings debit should have been checking
        ("26", "0000000000", "4000123"),
    ]
    assert [r for r in records if r["kind"] == "addenda_98"][1] == {
        "kind": "addenda_98",
        "record_type": "7",
        "addenda_type": "98",
        "change_code": "C01",
        "original_trace": trace(4),
        "reserved_1": " " * 6,
        "original_rdfi": RDFI_BUSINESS[:8],
        "corrected_data": "4000124".ljust(29),
        "reserved_2": " " * 15,
        "trace": entries[1]["trace"],
    }
    file_control = next(r for r in records if r["kind"] == "file_control")
    assert (file_control["total_debits"], file_control["total_credits"]) == ("0" * 12, "0" * 12)


def test_returns_and_corrections_of_one_file_share_it_in_separate_batches():
    text = returns_for(outbound(), returns={trace(1): "R01"}, corrections={trace(3): ("C01", "55-0002")}, today=TODAY)
    ach = read_file(text)
    assert [(b.header.sec_code, b.header.batch_number) for b in ach.batches] == [("WEB", 1), ("COR", 2)]
    assert ach.batches[0].entries[0].return_addenda is not None
    assert ach.batches[1].entries[0].correction is not None
    traces = [e.trace_number for b in ach.batches for e in b.entries]
    assert len(set(traces)) == len(traces)


def test_a_rule_returns_entries_the_explicit_answers_do_not_cover():
    seen = []

    def rule(entry):
        seen.append(entry.trace_number)
        return "R01" if entry.amount_cents > 50_000 else None

    text = returns_for(
        outbound(), returns={trace(1): "R02"}, corrections={trace(2): ("C01", "1")}, rule=rule, today=TODAY
    )
    ach = read_file(text)
    addenda = [entry.return_addenda for batch in ach.batches for entry in batch.entries]
    reasons = {a.original_trace: a.reason_code for a in addenda if a}
    assert reasons == {trace(1): "R02", trace(4): "R01", trace(5): "R01"}
    assert trace(1) not in seen and trace(2) not in seen  # explicit answers win; the rule is not asked


def test_a_returned_prenote_comes_back_with_amount_zero():
    ach = read_file(returns_for(outbound("web"), returns={trace(3): "R03"}, today=TODAY))
    [entry] = ach.batches[0].entries
    assert (entry.transaction_code, entry.amount_cents) == (26, 0)
    assert entry.return_addenda is not None
    assert entry.return_addenda.reason_code == "R03"


@pytest.mark.parametrize("name", ["balanced", "balanced_offset_batch"])
def test_a_returned_credit_comes_back_as_21_in_a_credits_only_batch(name):
    ach = read_file(returns_for(outbound(name), returns={trace(4): "R03"}, today=TODAY))
    [batch] = ach.batches
    assert (batch.header.service_class, batch.entries[0].transaction_code) == (220, 21)
    assert ach.control.total_credit_cents == 16750


def test_an_offset_in_a_batch_of_its_own_comes_back_in_a_ccd_batch():
    ach = read_file(returns_for(outbound("balanced_offset_batch"), returns={trace(4): "R02"}, today=TODAY))
    [batch] = ach.batches
    assert (batch.header.sec_code, batch.header.company_id) == ("CCD", "1234567890")
    returned = batch.entries[0].return_addenda
    assert returned is not None and returned.original_trace == trace(4)


def moov_file_header_problem(header):
    """What moov-io/ach's FileHeader.ValidateWith (default options) refuses in a header's routing
    fields: it trims each, drops a leading 0 of a 10-character value, and wants the destination to be
    a routing number with a right check digit, and the origin not to be 0000000000."""

    def trimmed(value):
        return value[1:].strip() if len(value) == 10 and value[0] == "0" else value.strip()

    destination, origin = trimmed(header.immediate_destination), trimmed(header.immediate_origin)
    if destination in ("", "000000000") or not (len(destination) == 9 and destination.isdigit()):
        return f"immediate destination {header.immediate_destination!r} is not a routing number"
    if check_digit(destination[:8]) != int(destination[8]):
        return f"immediate destination {destination} has a wrong check digit"
    if origin in ("", "0000000000"):
        return f"immediate origin {header.immediate_origin!r} is blank or zeros"
    return None


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_return_files_come_from_the_bank_routing_number_to_the_odfi(name):
    text = outbound(name)
    traces = [e.trace_number for b in read_file(text).batches for e in b.entries]
    answer = read_file(returns_for(text, returns=dict.fromkeys(traces, "R01"), today=TODAY))
    assert (answer.header.immediate_destination, answer.header.immediate_origin) == (f" {ODFI}", f" {ODFI}")
    assert (answer.header.origin_name, answer.header.destination_name) == ("FIRST TEST BANK", "ACME WATER CO")
    assert moov_file_header_problem(answer.header) is None


def test_the_bank_routing_number_comes_from_the_batches_when_the_destination_is_not_one():
    text = samples.write(samples.mixed(), samples.file_header(immediate_destination="9876543210"))
    answer = read_file(returns_for(text, returns={trace(1): "R01"}, today=TODAY))
    assert answer.header.immediate_destination == answer.header.immediate_origin == f" {ODFI}"
    empty = samples.write([], samples.file_header(immediate_destination="9876543210"))
    with pytest.raises(ValueError, match="is not a routing number and it has no batch"):
        returns_for(empty, returns={}, today=TODAY)


def test_the_moov_header_rule_refuses_what_the_simulator_used_to_write():
    """The check above is not vacuous: the old header (destination 1 + EIN) fails it."""
    old = read_file(outbound()).header  # Remit's outbound header, read the other way round
    reversed_header = type(old)(
        **{**old.__dict__, "immediate_destination": old.immediate_origin, "immediate_origin": old.immediate_destination}
    )
    assert "is not a routing number" in moov_file_header_problem(reversed_header)


def test_nothing_to_send_back_is_a_valid_file_without_batches():
    text = returns_for(outbound(), returns={}, today=TODAY)
    records = check_file(text)
    assert [r["kind"] for r in records[:2]] == ["file_header", "file_control"]
    assert read_file(text).batches == ()


def test_unknown_or_contradictory_requests_are_refused():
    with pytest.raises(ValueError, match="trace number 011000019999999 is not in the outbound file"):
        returns_for(outbound(), returns={"011000019999999": "R01"}, today=TODAY)
    with pytest.raises(ValueError, match="not both: 011000010000001"):
        returns_for(outbound(), returns={trace(1): "R01"}, corrections={trace(1): ("C01", "1")}, today=TODAY)
    with pytest.raises(ValueError, match="return reason 'X01'"):
        returns_for(outbound(), returns={trace(1): "X01"}, today=TODAY)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(samples.SAMPLES)), st.data())
def test_every_answer_comes_back_exactly_once(name, data):
    text = outbound(name)
    traces = [e.trace_number for b in read_file(text).batches for e in b.entries]
    chosen = data.draw(st.lists(st.sampled_from(traces), unique=True))
    split = data.draw(st.integers(0, len(chosen)))
    returns = {t: data.draw(st.sampled_from(["R01", "R02", "R03", "R10", "R29"])) for t in chosen[:split]}
    corrections = dict.fromkeys(chosen[split:], ("C01", "12345"))
    answer = returns_for(text, returns=returns, corrections=corrections, today=TODAY)
    check_file(answer)
    ach = read_file(answer)
    entries = [e for b in ach.batches for e in b.entries]
    assert sorted(e.return_addenda.original_trace for e in entries if e.return_addenda) == sorted(returns)
    assert sorted(e.correction.original_trace for e in entries if e.correction) == sorted(corrections)
    assert len({e.trace_number for e in entries}) == len(entries)
