"""The two fields Remit fills from its own data, never cut: the invoice numbers of an 05 addenda
(whole numbers, then "+N MORE") and the individual identification of a customer reference (a stable
short identifier when the reference does not fit). Pure: checked exhaustively with hypothesis."""

import re
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from remit.ach.nacha import (
    INDIVIDUAL_ID_WIDTH,
    PAYMENT_INFORMATION_WIDTH,
    ach_text,
    individual_id,
    invoice_information,
)
from remit.ach.tests import samples
from remit.ach.tests.nacha_parser import check_file
from remit.invoices.numbering import NUMBER_SHAPE

invoice_numbers = st.from_regex(NUMBER_SHAPE, fullmatch=True)  # what Remit accepts as an invoice number
MORE = re.compile(r"(?:^| )\+([0-9]+) MORE$")


def parse(text):
    """The numbers an addenda shows, and how many more it says there are."""
    assert text.startswith("INV ")
    body = text.removeprefix("INV ")
    more = MORE.search(body)
    hidden = int(more.group(1)) if more else 0
    shown = body[: more.start()] if more else body
    return (shown.split(",") if shown else []), hidden


def test_fourteen_invoices_are_whole_numbers_then_how_many_more():
    numbers = [f"2026-{n:04d}" for n in range(1, 15)]
    text = invoice_information(numbers)
    assert text == "INV 2026-0001,2026-0002,2026-0003,2026-0004,2026-0005,2026-0006 +8 MORE"
    assert parse(text) == (numbers[:6], 8)


def test_numbers_that_fit_are_all_there_without_more():
    assert invoice_information(["INV-7", "inv-8"]) == "INV INV-7,INV-8"
    exactly = ["A" * 37, "B" * 38]  # "INV " + 37 + "," + 38 = 80
    assert invoice_information(exactly) == "INV " + ",".join(exactly)


def test_a_number_too_long_for_what_is_left_is_counted_not_cut():
    assert invoice_information(["X" * 40, "Y" * 40]) == f"INV {'X' * 40} +1 MORE"
    assert invoice_information(["Z" * 77]) == "INV +1 MORE"
    assert invoice_information([]) == "INV "


@given(st.lists(invoice_numbers, max_size=60))
def test_never_cuts_a_number_and_says_how_many_are_left_out(numbers):
    text = invoice_information(numbers)
    assert len(text) <= PAYMENT_INFORMATION_WIDTH
    expected = [ach_text(number) for number in numbers]
    shown, hidden = parse(text)
    assert shown == expected[: len(shown)]  # whole numbers, in order
    assert len(shown) + hidden == len(expected)  # and every other one counted


@given(st.lists(invoice_numbers, min_size=1, max_size=60))
def test_shows_as_many_numbers_as_fit(numbers):
    """One more number, with the count of the rest, would not fit."""
    text = invoice_information(numbers)
    shown, hidden = parse(text)
    if hidden:
        one_more = ",".join(ach_text(n) for n in numbers[: len(shown) + 1])
        rest = f" +{hidden - 1} MORE" if hidden > 1 else ""
        assert len(f"INV {one_more}{rest}") > PAYMENT_INFORMATION_WIDTH


@given(st.lists(invoice_numbers, max_size=30))
def test_what_it_makes_is_written_as_it_is(numbers):
    """The writer writes it without cutting anything (it would cut at 80 characters)."""
    text = invoice_information(numbers)
    entry = replace(samples.ccd_entries()[0], addenda=text)
    records = check_file(samples.write([(samples.batch_header(1, "CCD"), [entry])]))
    addenda = next(r for r in records if r["kind"] == "addenda_05")
    assert addenda["information"].rstrip() == text.rstrip()


# The individual identification.

references = st.text(min_size=0, max_size=64)


def test_a_long_reference_becomes_a_stable_short_identifier():
    assert individual_id("ZOE-MULLER-OHARA-LONGREF", fallback="C1") == "ZOE-MULLER*QZKY"
    assert individual_id("zoe-muller-ohara-longref", fallback="C1") == "ZOE-MULLER*QZKY"  # case aside: one customer
    assert individual_id("ZOE-MULLER-OHARA-OTHERREF", fallback="C1") != "ZOE-MULLER*QZKY"


def test_a_reference_that_fits_is_written_as_it_is():
    assert individual_id("acme-0001", fallback="C1") == "ACME-0001"
    assert individual_id("  ABCDEFGHIJKLMNO ", fallback="C1") == "ABCDEFGHIJKLMNO"  # exactly 15
    assert individual_id("", fallback="C42") == individual_id("   ", fallback="C42") == "C42"


def test_characters_a_file_cannot_carry_make_a_short_identifier_too():
    """Written as "ZOE", "Zoé" could be another customer's reference. Its identifier can't."""
    derived = individual_id("Zoé", fallback="C1")
    assert derived.startswith("ZOE*") and len(derived) == 8


@given(references)
def test_never_longer_than_the_field_and_never_a_cut_reference(reference):
    written = individual_id(reference, fallback="C7")
    assert 1 <= len(written) <= INDIVIDUAL_ID_WIDTH
    assert written == ach_text(written)  # printable ASCII, upper case: written as it is
    stripped = reference.strip()
    if written != ach_text(stripped) and stripped:
        # Not the reference itself: then an identifier that says so ("*" and 4 digest characters),
        # never the reference's first 15 characters passed off as the reference.
        assert re.fullmatch(r".{0,10}\*[A-Z2-7]{4}", written)
        assert written != ach_text(stripped)[:INDIVIDUAL_ID_WIDTH]


@given(references, references)
def test_stable_and_distinct(first, second):
    assert individual_id(first, fallback="C7") == individual_id(first, fallback="C7")
    ids = individual_id(first, fallback="C7"), individual_id(second, fallback="C7")
    if first.strip().lower() == second.strip().lower():
        if first.isascii() and second.isascii():
            assert ids[0] == ids[1]  # references are unique case aside: these are one customer's
    elif all("*" in written for written in ids):
        # Two identifiers of different references differ, even with the same first 10 characters: by
        # their digest (4 base-32 characters, so a clash is a one-in-a-million chance).
        assert ids[0] != ids[1]
