"""An independent reading of NACHA files for the tests, written straight from the field positions in
NACHA.md (and, for the reserved parts of addenda 98, moov-io/ach's samples). It shares no code with
``remit.ach``: a mistake in the writer would have to be made a second time here to go unnoticed.

``parse_file`` names every field of every record (every position 1-94 belongs to one field);
``check_file`` also recomputes, from the records alone, the counts, hashes, totals, block count and
padding, and asserts that the controls say the same.
"""

from __future__ import annotations

import math

# (field name, first position, last position), 1-based and inclusive as in NACHA.md.
Layout = list[tuple[str, int, int]]

LAYOUTS: dict[str, Layout] = {
    "file_header": [
        ("record_type", 1, 1),
        ("priority_code", 2, 3),
        ("immediate_destination", 4, 13),
        ("immediate_origin", 14, 23),
        ("creation_date", 24, 29),
        ("creation_time", 30, 33),
        ("file_id_modifier", 34, 34),
        ("record_size", 35, 37),
        ("blocking_factor", 38, 39),
        ("format_code", 40, 40),
        ("destination_name", 41, 63),
        ("origin_name", 64, 86),
        ("reference_code", 87, 94),
    ],
    "batch_header": [
        ("record_type", 1, 1),
        ("service_class", 2, 4),
        ("company_name", 5, 20),
        ("discretionary", 21, 40),
        ("company_id", 41, 50),
        ("sec_code", 51, 53),
        ("entry_description", 54, 63),
        ("descriptive_date", 64, 69),
        ("effective_date", 70, 75),
        ("settlement_date", 76, 78),
        ("originator_status", 79, 79),
        ("odfi", 80, 87),
        ("batch_number", 88, 94),
    ],
    "entry": [
        ("record_type", 1, 1),
        ("transaction_code", 2, 3),
        ("rdfi", 4, 11),
        ("check_digit", 12, 12),
        ("account_number", 13, 29),
        ("amount", 30, 39),
        ("individual_id", 40, 54),
        ("individual_name", 55, 76),
        ("discretionary", 77, 78),
        ("addenda_indicator", 79, 79),
        ("trace", 80, 94),
    ],
    "addenda_05": [
        ("record_type", 1, 1),
        ("addenda_type", 2, 3),
        ("information", 4, 83),
        ("sequence", 84, 87),
        ("entry_sequence", 88, 94),
    ],
    "addenda_98": [
        ("record_type", 1, 1),
        ("addenda_type", 2, 3),
        ("change_code", 4, 6),
        ("original_trace", 7, 21),
        ("reserved_1", 22, 27),
        ("original_rdfi", 28, 35),
        ("corrected_data", 36, 64),
        ("reserved_2", 65, 79),
        ("trace", 80, 94),
    ],
    "addenda_99": [
        ("record_type", 1, 1),
        ("addenda_type", 2, 3),
        ("reason_code", 4, 6),
        ("original_trace", 7, 21),
        ("date_of_death", 22, 27),
        ("original_rdfi", 28, 35),
        ("information", 36, 79),
        ("trace", 80, 94),
    ],
    "batch_control": [
        ("record_type", 1, 1),
        ("service_class", 2, 4),
        ("entry_addenda_count", 5, 10),
        ("entry_hash", 11, 20),
        ("total_debits", 21, 32),
        ("total_credits", 33, 44),
        ("company_id", 45, 54),
        ("mac", 55, 73),
        ("reserved", 74, 79),
        ("odfi", 80, 87),
        ("batch_number", 88, 94),
    ],
    "file_control": [
        ("record_type", 1, 1),
        ("batch_count", 2, 7),
        ("block_count", 8, 13),
        ("entry_addenda_count", 14, 21),
        ("entry_hash", 22, 31),
        ("total_debits", 32, 43),
        ("total_credits", 44, 55),
        ("reserved", 56, 94),
    ],
    "padding": [("nines", 1, 94)],
}

# NACHA.md's table: debits 27/37, debit prenotes 28/38, returns of a debit 26/36; credits 22/32,
# credit prenotes 23/33, and (moov-io/ach) returns/NOCs of a credit 21/31.
DEBIT_CODES = {"26", "27", "28", "36", "37", "38"}
CREDIT_CODES = {"21", "22", "23", "31", "32", "33"}


def split(record: str, layout: Layout) -> dict[str, str]:
    return {name: record[first - 1 : last] for name, first, last in layout}


def parse_file(text: str) -> list[dict[str, str]]:
    """Every record as a dict of its fields (raw text, padding included), plus its "kind"."""
    assert text.endswith("\n"), "a file ends with a newline"
    records = text[:-1].split("\n")
    parsed, seen_file_control = [], False
    for number, record in enumerate(records, start=1):
        assert len(record) == 94, f"line {number} is {len(record)} characters"
        assert all(" " <= char <= "~" for char in record), f"line {number} is not printable ASCII"
        if seen_file_control:
            kind = "padding"
        elif record[0] == "7":
            kind = "addenda_" + record[1:3]
        else:
            kind = {"1": "file_header", "5": "batch_header", "6": "entry", "8": "batch_control", "9": "file_control"}[
                record[0]
            ]
        seen_file_control = seen_file_control or kind == "file_control"
        parsed.append({"kind": kind, **split(record, LAYOUTS[kind])})
    return parsed


def check_digit(first_eight: str) -> int:
    """NACHA.md: 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)."""
    for digit in range(10):
        d = [int(c) for c in first_eight + str(digit)]
        if (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0:
            return digit
    raise AssertionError("unreachable")


def check_file(text: str) -> list[dict[str, str]]:
    """Parse ``text`` and assert, from the records alone, everything the controls and padding claim."""
    records = parse_file(text)
    kinds = [record["kind"] for record in records]
    assert kinds[0] == "file_header"
    assert records[0]["priority_code"] == "01"
    assert (records[0]["record_size"], records[0]["blocking_factor"], records[0]["format_code"]) == ("094", "10", "1")
    file_control_at = kinds.index("file_control")
    assert all(kind == "padding" for kind in kinds[file_control_at + 1 :])
    assert all(record["nines"] == "9" * 94 for record in records[file_control_at + 1 :])
    assert len(records) % 10 == 0, "padded to a multiple of 10 records"
    blocks = math.ceil((file_control_at + 1) / 10)
    assert len(records) == blocks * 10, "no more padding than the last block needs"

    batches = _batches(records[1:file_control_at])
    file_control = records[file_control_at]
    all_entries = [entry for _, entries, _ in batches for entry in entries]
    assert int(file_control["batch_count"]) == len(batches)
    assert int(file_control["block_count"]) == blocks
    assert int(file_control["entry_addenda_count"]) == sum(len(records) for _, _, records in batches)
    assert int(file_control["entry_hash"]) == sum(int(e["rdfi"]) for e in all_entries) % 10**10
    assert int(file_control["total_debits"]) == _total(all_entries, DEBIT_CODES)
    assert int(file_control["total_credits"]) == _total(all_entries, CREDIT_CODES)
    assert file_control["reserved"] == " " * 39
    return records


def _batches(records: list[dict[str, str]]) -> list[tuple[dict[str, str], list[dict[str, str]], list[dict[str, str]]]]:
    """(header, entries, entry and addenda records) per batch, each batch's control checked."""
    batches = []
    previous_batch_number = 0
    index = 0
    while index < len(records):
        header = records[index]
        assert header["kind"] == "batch_header"
        assert header["settlement_date"] == "   "
        assert header["originator_status"] == "1"
        assert int(header["batch_number"]) > previous_batch_number
        previous_batch_number = int(header["batch_number"])
        index += 1
        body = []
        while records[index]["kind"] != "batch_control":
            body.append(records[index])
            index += 1
        control = records[index]
        index += 1
        entries = [record for record in body if record["kind"] == "entry"]
        assert entries, "a batch has at least one entry"
        _check_entries_and_addenda(body)
        assert control["service_class"] == header["service_class"]
        assert int(control["entry_addenda_count"]) == len(body)
        assert int(control["entry_hash"]) == sum(int(entry["rdfi"]) for entry in entries) % 10**10
        assert int(control["total_debits"]) == _total(entries, DEBIT_CODES)
        assert int(control["total_credits"]) == _total(entries, CREDIT_CODES)
        assert control["company_id"] == header["company_id"]
        assert control["mac"] == " " * 19
        assert control["reserved"] == " " * 6
        assert control["odfi"] == header["odfi"]
        assert control["batch_number"] == header["batch_number"]
        if header["service_class"] == "225":
            assert all(entry["transaction_code"] in DEBIT_CODES for entry in entries)
        batches.append((header, entries, body))
    return batches


def _check_entries_and_addenda(body: list[dict[str, str]]) -> None:
    traces = [record["trace"] for record in body if record["kind"] == "entry"]
    assert traces == sorted(traces) and len(set(traces)) == len(traces), "traces ascend within a batch"
    for index, record in enumerate(body):
        if record["kind"] != "entry":
            assert index > 0 and body[index - 1]["kind"] == "entry", "an addenda follows its entry"
            continue
        assert int(record["check_digit"]) == check_digit(record["rdfi"])
        follows = body[index + 1] if index + 1 < len(body) else None
        has_addenda = follows is not None and follows["kind"].startswith("addenda")
        assert record["addenda_indicator"] == ("1" if has_addenda else "0")
        if follows is not None and follows["kind"] == "addenda_05":
            assert follows["sequence"] == "0001"
            assert follows["entry_sequence"] == record["trace"][-7:]
        if follows is not None and follows["kind"] in ("addenda_98", "addenda_99"):
            assert follows["trace"] == record["trace"]


def _total(entries: list[dict[str, str]], codes: set[str]) -> int:
    return sum(int(entry["amount"]) for entry in entries if entry["transaction_code"] in codes)
