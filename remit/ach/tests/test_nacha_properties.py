"""Properties of the writer on random files: they always balance (hash, counts, totals per batch and
for the file), and they round-trip through both the independent parser and the production reader."""

from hypothesis import given, settings
from hypothesis import strategies as st

from remit.ach.nacha import MAX_AMOUNT_CENTS, BatchHeader, Entry
from remit.ach.reader import PaymentAddenda, read_file
from remit.ach.tests import samples
from remit.ach.tests.nacha_parser import check_digit, check_file

PRENOTES = {23, 28, 33, 38}
DEBITS = {27, 28, 37, 38}
CODES = {225: [27, 28, 37, 38], 220: [22, 23, 32, 33], 200: [22, 23, 27, 28, 32, 33, 37, 38]}

routings = (
    st.from_regex(r"[0-9]{8}", fullmatch=True).map(lambda d: d + str(check_digit(d))).filter(lambda r: r != "000000000")
)
names = st.from_regex(r"[A-Z0-9][A-Z0-9 .,&'-]{0,29}", fullmatch=True)
accounts = st.from_regex(r"[0-9A-Z-]{1,17}", fullmatch=True)
individual_ids = st.from_regex(r"[A-Z0-9]{0,15}", fullmatch=True)
addenda = st.none() | st.from_regex(r"[A-Z0-9][A-Z0-9 ,]{0,99}", fullmatch=True)


@st.composite
def batch_lists(draw):
    batches, sequence = [], 0
    for number in range(1, draw(st.integers(1, 4)) + 1):
        sec_code = draw(st.sampled_from(["WEB", "CCD"]))
        service_class = draw(st.sampled_from([200, 220, 225]))
        entries = []
        for _ in range(draw(st.integers(1, 12))):
            code = draw(st.sampled_from(CODES[service_class]))
            sequence += draw(st.integers(1, 1000))
            entries.append(
                Entry(
                    transaction_code=code,
                    routing_number=draw(routings),
                    account_number=draw(accounts),
                    amount_cents=0 if code in PRENOTES else draw(st.integers(1, MAX_AMOUNT_CENTS)),
                    individual_id=draw(individual_ids),
                    individual_name=draw(names),
                    trace_number=samples.trace(sequence),
                    discretionary=draw(st.sampled_from(["R ", "S "])) if sec_code == "WEB" else "",
                    addenda=draw(addenda),
                )
            )
        header = BatchHeader(
            service_class=service_class,
            company_name=draw(names),
            company_id=samples.COMPANY_ID,
            sec_code=sec_code,
            entry_description=draw(names),
            effective_date=samples.EFFECTIVE,
            odfi_routing=samples.ODFI,
            batch_number=number,
        )
        batches.append((header, entries))
    return batches


def _alpha(value, width):
    """What an alphanumeric field of clean input holds once read back (trailing spaces removed)."""
    return value.strip()[:width].rstrip()


@settings(max_examples=150, deadline=None)
@given(batch_lists())
def test_random_files_balance_and_round_trip(batches):
    text, totals = samples.write_with_totals(batches)
    records = check_file(text)  # the independent parser recomputes every control
    read = read_file(text)

    entries = [entry for _, batch_entries in batches for entry in batch_entries]
    debits = sum(e.amount_cents for e in entries if e.transaction_code in DEBITS)
    credits = sum(e.amount_cents for e in entries if e.transaction_code not in DEBITS)
    entry_addenda = len(entries) + sum(1 for e in entries if e.addenda is not None)
    records_before_padding = 2 + 2 * len(batches) + entry_addenda
    assert (totals.total_debit_cents, totals.total_credit_cents) == (debits, credits)
    assert totals.entry_addenda_count == entry_addenda == read.control.entry_addenda_count
    assert totals.entry_hash == sum(int(e.routing_number[:8]) for e in entries) % 10**10 == read.control.entry_hash
    assert totals.batch_count == len(batches) == len(read.batches)
    assert totals.block_count == -(-records_before_padding // 10) == read.control.block_count
    assert totals.record_count == len(records) == read.record_count

    for (header, written), parsed in zip(batches, read.batches, strict=True):
        assert parsed.header.service_class == header.service_class
        assert parsed.header.company_name == _alpha(header.company_name, 16)
        assert parsed.header.entry_description == _alpha(header.entry_description, 10)
        assert parsed.header.batch_number == header.batch_number
        batch_debits = sum(e.amount_cents for e in written if e.transaction_code in DEBITS)
        assert parsed.control.total_debit_cents == batch_debits
        assert parsed.control.entry_hash == sum(int(e.routing_number[:8]) for e in written) % 10**10
        for entry, back in zip(written, parsed.entries, strict=True):
            assert back.transaction_code == entry.transaction_code
            assert back.routing_number == entry.routing_number
            assert back.account_number == entry.account_number
            assert back.amount_cents == entry.amount_cents
            assert back.individual_id == entry.individual_id
            assert back.individual_name == _alpha(entry.individual_name, 22)
            assert back.discretionary == entry.discretionary.strip()
            assert back.trace_number == entry.trace_number
            if entry.addenda is None:
                assert back.addenda == ()
            else:
                assert isinstance(entry.addenda, str)
                expected = PaymentAddenda(_alpha(entry.addenda, 80), 1, entry.trace_number[-7:])
                assert back.addenda == (expected,)

    # The independent parser sees the same entries, position by position.
    parsed_entries = [r for r in records if r["kind"] == "entry"]
    for entry, record in zip(entries, parsed_entries, strict=True):
        assert record["transaction_code"] == f"{entry.transaction_code:02d}"
        assert record["rdfi"] + record["check_digit"] == entry.routing_number
        assert record["account_number"] == entry.account_number.ljust(17)
        assert int(record["amount"]) == entry.amount_cents
        assert record["individual_id"] == entry.individual_id.ljust(15)
        assert record["individual_name"] == entry.individual_name.strip()[:22].ljust(22)
        assert record["addenda_indicator"] == ("0" if entry.addenda is None else "1")
        assert record["trace"] == entry.trace_number


@settings(max_examples=50, deadline=None)
@given(batch_lists(), st.sampled_from(["\n", "\r\n"]))
def test_the_reader_reads_what_the_writer_writes_with_either_line_ending(batches, ending):
    text = samples.write(batches)
    assert read_file(text.replace("\n", ending)) == read_file(text)
