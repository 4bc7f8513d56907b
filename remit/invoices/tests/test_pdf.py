import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from remit.billers.actions import biller_update_branding
from remit.invoices.pdf import invoice_pdf_bytes
from remit.invoices.totals import Line
from remit.lib.images import normalize_logo
from remit.test import make_biller, make_customer, make_invoice, png_bytes

pytestmark = pytest.mark.django_db


def test_the_pdf_has_the_logo_numbers_and_any_script():
    biller, owner = make_biller("Acme Supply Co.")
    biller = biller_update_branding(
        biller=biller, actor=owner, brand_color="#c2410c", logo=normalize_logo(png_bytes((300, 90)), "l.png")
    )
    customer = make_customer(biller, "Müller & Søn — Ελλάδα")
    lines = [
        Line("Rocket skates — Größe 42", Decimal("1.5"), 9999),
        *[Line(f"Anvil {n}", Decimal(1), 100) for n in range(60)],
    ]
    invoice = make_invoice(customer, lines=lines, issue_date=date(2026, 11, 2))

    reader = PdfReader(io.BytesIO(invoice_pdf_bytes(invoice)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2  # 61 lines flow onto a second page
    assert "INVOICE" in text and invoice.number in text
    assert "Müller & Søn — Ελλάδα" in text
    assert "Rocket skates — Größe 42" in text
    assert "$149.99" in text and "Balance due" in text
    assert "http://127.0.0.1:8000/acme-supply/" in text
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1  # the logo, once


def test_console_download(client):
    biller, owner = make_biller("Acme Supply Co.")
    invoice = make_invoice(make_customer(biller))
    client.force_login(owner)
    response = client.get(f"/console/acme-supply/invoices/{invoice.pk}/pdf?download=1")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF")
