"""A font parsed once per process draws the same PDF, byte for byte, as fpdf2's own ``add_font``, in
every document and every thread (embedding subsets a font in place: no document may see another's)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from remit.lib.pdf_fonts import add_kept_font

FONTS = Path(__file__).resolve().parents[2] / "invoices" / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"


def document(text: str, *, kept: bool) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 12, 4, tzinfo=UTC))
    for style, path in (("", REGULAR), ("B", BOLD)):
        if kept:
            add_kept_font(pdf, "DejaVu", style, path)
        else:
            pdf.add_font("DejaVu", style, str(path))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, text)
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, f"Total: {len(text)} — Ωμέγα, Жёлтый, Łódź")
    return bytes(pdf.output())


def test_a_kept_font_draws_what_add_font_draws():
    for text in ("Widgets, 3 × $12.50", "Ærøskøbing Værft ApS — rådgivning", "Москва: консультации"):
        assert document(text, kept=True) == document(text, kept=False)


def test_each_document_subsets_its_own_copy():
    first = document("Only these letters: abc", kept=True)
    document("Many others: xyz ÆØÅ ñ ß € ¥ ∑ ≤ ≥", kept=True)
    assert document("Only these letters: abc", kept=True) == first


def test_threads_drawing_at_once_each_get_their_own_pdf():
    texts = [f"Invoice {n}: " + "ÆØÅ ñ ß € Ж Ω "[: n * 2] for n in range(8)]
    expected = {text: document(text, kept=False) for text in texts}
    with ThreadPoolExecutor(max_workers=4) as pool:
        drawn = dict(zip(texts, pool.map(lambda text: document(text, kept=True), texts), strict=True))
    assert drawn == expected
