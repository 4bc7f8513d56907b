"""The sample files of the ACH tests: the inputs of the golden files, and a way to write them."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from remit.ach.nacha import BatchHeader, Entry, FileHeader, FileTotals, write_file

ODFI = "011000015"  # the biller's bank
RDFI_CHECKING = "111000025"
RDFI_SAVINGS = "021000021"
RDFI_BUSINESS = "121000248"
COMPANY_ID = "1234567890"
CREATED_AT = datetime(2026, 3, 2, 16, 45)
EFFECTIVE = date(2026, 3, 3)

Batches = list[tuple[BatchHeader, list[Entry]]]


def trace(sequence: int) -> str:
    return f"{ODFI[:8]}{sequence:07d}"


def file_header(**changes: Any) -> FileHeader:
    header = FileHeader(
        immediate_destination=ODFI,
        immediate_origin=COMPANY_ID,
        destination_name="First Test Bank",
        origin_name="Acme Water Co",
        created_at=CREATED_AT,
        file_id_modifier="A",
    )
    return replace(header, **changes)


def batch_header(number: int, sec_code: str, *, service_class: int = 225) -> BatchHeader:
    return BatchHeader(
        service_class=service_class,
        company_name="Acme Water",
        company_id=COMPANY_ID,
        sec_code=sec_code,
        entry_description="INVOICE",
        effective_date=EFFECTIVE,
        odfi_routing=ODFI,
        batch_number=number,
    )


def web_entries(first_sequence: int = 1) -> list[Entry]:
    """A checking debit (single payment), a savings debit (AutoPay) and a prenote."""
    return [
        Entry(27, RDFI_CHECKING, "123456789", 12_550, "C1001", "José Núñez", trace(first_sequence), "S "),
        Entry(37, RDFI_SAVINGS, "000987654321", 4_200, "C1002", "Mary-Ann O’Brien", trace(first_sequence + 1), "R "),
        Entry(28, RDFI_CHECKING, "55-0001", 0, "C1003", "Li Wei", trace(first_sequence + 2), "S "),
    ]


def ccd_entries(first_sequence: int = 1) -> list[Entry]:
    """Two business debits with the invoices they pay in an 05 addenda."""
    return [
        Entry(
            27,
            RDFI_BUSINESS,
            "4000123",
            1_234_567,
            "B2001",
            "Northwind Traders LLC",
            trace(first_sequence),
            addenda="INV 2026-0012, INV 2026-0013",
        ),
        Entry(
            37,
            RDFI_CHECKING,
            "4000999",
            99_999,
            "B2002",
            "Contoso Plumbing and Heating Services",  # longer than 22: cut
            trace(first_sequence + 1),
            addenda="INV 2026-0020",
        ),
    ]


def web_only() -> Batches:
    return [(batch_header(1, "WEB"), web_entries())]


def ccd_only() -> Batches:
    return [(batch_header(1, "CCD"), ccd_entries())]


def mixed() -> Batches:
    return [(batch_header(1, "WEB"), web_entries()), (batch_header(2, "CCD"), ccd_entries(first_sequence=4))]


def offset_entry(entries: list[Entry], sequence: int) -> Entry:
    """The credit to the biller's settlement account for the total of ``entries``."""
    return Entry(22, ODFI, "777000111", sum(e.amount_cents for e in entries), "OFFSET", "Acme Water", trace(sequence))


def balanced() -> Batches:
    """Service class 200: the debits and one offset credit to the biller's settlement account, in one
    WEB batch, as other originators write it (and Remit did before the offset got a batch of its own)."""
    entries = web_entries()
    return [(batch_header(1, "WEB", service_class=200), [*entries, offset_entry(entries, 4)])]


def balanced_offset_batch() -> Batches:
    """A balanced file as Remit writes it: the debits in a debits-only WEB batch, the offset credit in a
    credits-only CCD batch of its own."""
    entries = web_entries()
    return [
        (batch_header(1, "WEB"), entries),
        (batch_header(2, "CCD", service_class=220), [offset_entry(entries, 4)]),
    ]


SAMPLES = {
    "web": web_only,
    "ccd": ccd_only,
    "mixed": mixed,
    "balanced": balanced,
    "balanced_offset_batch": balanced_offset_batch,
}


def write(batches: Iterable[tuple[BatchHeader, Iterable[Entry]]], header: FileHeader | None = None) -> str:
    return write_with_totals(batches, header)[0]


def write_with_totals(
    batches: Iterable[tuple[BatchHeader, Iterable[Entry]]], header: FileHeader | None = None
) -> tuple[str, FileTotals]:
    out = io.StringIO()
    totals = write_file(out, header or file_header(), batches)
    return out.getvalue(), totals
