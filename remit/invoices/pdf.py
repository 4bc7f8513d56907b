"""An invoice as a PDF, drawn with fpdf2 (pure Python: no system libraries).

Text is set in DejaVu Sans, shipped with Remit (remit/invoices/fonts, free licence), so names and
descriptions in any Latin, Greek or Cyrillic script print correctly.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from fpdf import FPDF

from remit.invoices.models import Invoice
from remit.lib.money import format_cents

FONTS = Path(__file__).parent / "fonts"
INK = (17, 24, 39)
SOFT = (75, 85, 99)
LINE = (229, 231, 235)


# --- What every Remit PDF shares (invoice, statement, receipt, credit note) ------------------------


def rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16)


def brand_bar(pdf: FPDF, biller: Any) -> tuple[int, int, int]:
    """The biller's colour as a band across the top of the page; returns the colour."""
    brand = rgb(biller.brand_color)
    pdf.set_fill_color(*brand)
    pdf.rect(0, 0, pdf.w, 5, style="F")
    return brand


def draw_logo(pdf: FPDF, biller: Any, *, y: float, height: float = 16.0) -> bool:
    """The biller's logo at the left margin, ``height`` tall at most (70 mm wide at most); False
    when the biller has none (the caller writes the name instead)."""
    if not (biller.has_logo and biller.logo_png):
        return False
    ratio = (biller.logo_height or 1) / (biller.logo_width or 1)
    width = min(70.0, height / ratio)
    pdf.image(io.BytesIO(bytes(biller.logo_png)), x=pdf.l_margin, y=y, w=width, h=width * ratio)
    return True


def label_block(pdf: FPDF, title: str, lines: list[str], *, x: float, width: float, family: str = "DejaVu") -> None:
    """A small upper-case title over lines of text, at ``x``; the cursor returns to where it began."""
    y = pdf.get_y()
    pdf.set_xy(x, y)
    pdf.set_font(family, "B", 8)
    pdf.set_text_color(*SOFT)
    pdf.cell(width, 5, title.upper(), new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.set_text_color(*INK)
    for line in lines:
        pdf.set_x(x)
        pdf.multi_cell(width, 5, line, new_x="LEFT", new_y="NEXT")
    pdf.set_y(y)


# --- The invoice ---------------------------------------------------------------------------------


class _InvoicePDF(FPDF):
    def __init__(self, invoice: Invoice) -> None:
        super().__init__(format="Letter", unit="mm")
        self.invoice = invoice
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)
        self.set_title(f"Invoice {invoice.number}")
        self.set_author(invoice.biller.name)
        self.set_creator("Remit")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*SOFT)
        self.cell(
            0,
            5,
            f"{self.invoice.biller.name} · Invoice {self.invoice.number} · Page {self.page_no()}/{{nb}}",
            align="C",
        )


def invoice_pdf(invoice: Invoice) -> bytes:
    biller, customer = invoice.biller, invoice.customer
    pdf = _InvoicePDF(invoice)
    pdf.add_page()
    brand = brand_bar(pdf, biller)

    # Header: logo (or name) on the left, INVOICE and its number on the right.
    top = pdf.get_y()
    if not draw_logo(pdf, biller, y=top):
        pdf.set_font("DejaVu", "B", 16)
        pdf.set_text_color(*INK)
        pdf.cell(90, 10, biller.name)
    pdf.set_xy(pdf.w - 18 - 80, top)
    pdf.set_font("DejaVu", "B", 20)
    pdf.set_text_color(*brand)
    pdf.cell(80, 9, "INVOICE", align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*INK)
    pdf.set_x(pdf.w - 18 - 80)
    pdf.cell(80, 6, invoice.number, align="R")
    if invoice.is_void:
        pdf.set_xy(pdf.w - 18 - 80, top + 16)
        pdf.set_text_color(180, 35, 24)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(80, 6, "VOID", align="R")

    # From / Bill to / dates.
    pdf.set_y(top + 26)
    label_block(pdf, "From", [biller.name], x=18, width=55)
    label_block(pdf, "Bill to", [customer.name, *customer.address_lines, *customer.billing_emails[:1]], x=78, width=62)
    rows = [("Issued", f"{invoice.issue_date:%b %-d, %Y}"), ("Due", f"{invoice.due_date:%b %-d, %Y}")]
    if invoice.terms_label:
        rows.append(("Terms", invoice.terms_label))
    if customer.reference:
        rows.append(("Customer ref.", customer.reference))
    _key_values(pdf, rows, x=145, top=top + 26)

    pdf.set_y(max(pdf.get_y(), top + 26 + 7 * (len(customer.address_lines) + 3)) + 6)
    _lines_table(pdf, invoice)
    _totals(pdf, invoice, brand)

    if invoice.memo:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 9)
        pdf.set_text_color(*SOFT)
        pdf.cell(0, 5, "Memo", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5, invoice.memo)
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(0, 5, f"Pay online from your bank account at {biller.portal_url()}")
    return bytes(pdf.output())


def _key_values(pdf: FPDF, rows: list[tuple[str, str]], *, x: float, top: float) -> None:
    pdf.set_xy(x, top)
    for key, value in rows:
        pdf.set_x(x)
        pdf.set_font("DejaVu", "", 8)
        pdf.set_text_color(*SOFT)
        pdf.cell(24, 6, key)
        pdf.set_font("DejaVu", "", 10)
        pdf.set_text_color(*INK)
        pdf.cell(29, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _lines_table(pdf: FPDF, invoice: Invoice) -> None:
    pdf.set_draw_color(*LINE)
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_text_color(*SOFT)
    widths = (100, 20, 30, 30)
    for label, width, align in zip(("DESCRIPTION", "QTY", "UNIT PRICE", "AMOUNT"), widths, "LRRR", strict=True):
        pdf.cell(width, 7, label, border="B", align=align)
    pdf.ln()
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*INK)
    for line in invoice.lines.all():
        wrapped: list[str] = pdf.multi_cell(widths[0], 6, line.description, dry_run=True, output="LINES")  # type: ignore[assignment]
        height = 6 * max(len(wrapped), 1)
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.multi_cell(widths[0], 6, line.description, align="L", new_x="RIGHT", new_y="TOP")
        pdf.set_xy(18 + widths[0], y)
        pdf.cell(widths[1], 6, f"{line.quantity.normalize():f}", align="R")
        pdf.cell(widths[2], 6, format_cents(line.unit_price_cents), align="R")
        pdf.cell(widths[3], 6, format_cents(line.amount_cents), align="R")
        pdf.set_y(y + height + 1)
        pdf.line(18, pdf.get_y(), 18 + sum(widths), pdf.get_y())
        pdf.ln(1)


def _totals(pdf: FPDF, invoice: Invoice, brand: tuple[int, int, int]) -> None:
    rows = [("Subtotal", format_cents(invoice.subtotal_cents))]
    if invoice.tax_cents or invoice.tax_rate:
        rows.append((f"Tax ({invoice.tax_rate.normalize():f}%)", format_cents(invoice.tax_cents)))
    rows.append(("Total", format_cents(invoice.total_cents)))
    if invoice.paid_cents:
        rows.append(("Paid", f"−{format_cents(invoice.paid_cents)}"))
    if invoice.credited_cents:
        rows.append(("Credits", f"−{format_cents(invoice.credited_cents)}"))
    pdf.ln(2)
    for label, value in rows:
        pdf.set_x(18 + 100)
        pdf.set_font("DejaVu", "", 10)
        pdf.set_text_color(*SOFT)
        pdf.cell(50, 6, label, align="R")
        pdf.set_text_color(*INK)
        pdf.cell(30, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(18 + 100)
    pdf.set_font("DejaVu", "B", 12)
    pdf.set_text_color(*brand)
    label = "Balance due" if not invoice.is_void else "Void"
    pdf.cell(50, 9, label, align="R")
    pdf.set_text_color(*INK)
    pdf.cell(
        30, 9, format_cents(0 if invoice.is_void else invoice.balance_cents), align="R", new_x="LMARGIN", new_y="NEXT"
    )
