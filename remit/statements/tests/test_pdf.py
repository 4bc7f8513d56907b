"""The statement PDF, read back as text: the biller's logo, the customer in any script, every line
(onto further pages), the aging and the scheduled payments."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from remit.billers.actions import biller_update_branding
from remit.lib.images import normalize_logo
from remit.statements.core import Entry, EntryKind, Scheduled, build_statement
from remit.statements.pdf import statement_pdf
from remit.test import make_biller, make_customer, png_bytes

pytestmark = pytest.mark.django_db


def test_the_pdf_has_the_logo_every_line_the_aging_and_what_is_scheduled():
    biller, owner = make_biller("Acme Supply Co.")
    biller = biller_update_branding(
        biller=biller, actor=owner, brand_color="#c2410c", logo=normalize_logo(png_bytes((300, 90)), "l.png")
    )
    customer = make_customer(biller, "Müller & Søn — Ελλάδα", reference="MUELLER")
    start = date(2026, 1, 1)
    entries = [
        Entry(
            EntryKind.INVOICE,
            start + timedelta(days=n),
            1000 + n,
            f"INV-{n:03d}",
            f"Invoice INV-{n:03d}",
            invoice_key=n,
            due_date=start + timedelta(days=n + 30),
        )
        for n in range(70)
    ]
    entries.append(Entry(EntryKind.PAYMENT, date(2026, 3, 1), 5000, "Check 77", "Payment (Check) for INV-000"))
    statement = build_statement(
        entries=entries,
        start=date(2026, 1, 15),
        end=date(2026, 3, 31),
        scheduled=[Scheduled(pay_on=date(2026, 4, 2), amount_cents=4321, reference="Payment 9 (Auto Pay)")],
    )
    reader = PdfReader(io.BytesIO(statement_pdf(biller=biller, customer=customer, statement=statement)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2
    assert [image for page in reader.pages for image in page.images]  # the logo
    assert "STATEMENT OF ACCOUNT" in text and "Jan 15, 2026 – Mar 31, 2026" in text
    assert "Müller & Søn — Ελλάδα" in text and "Customer ref. MUELLER" in text
    assert "Opening balance on Jan 15, 2026" in text and "$140.91" in text  # 14 invoices before the 15th
    assert "Invoice INV-069" in text and "Payment (Check) for INV-000" in text and "−$50.00" in text
    assert "Closing balance on Mar 31, 2026" in text and "$674.15" in text
    assert "AGING ON MAR 31, 2026" in text and "Over 90 days" in text
    assert "Payment 9 (Auto Pay), Pay On Apr 2, 2026" in text and "$43.21" in text
