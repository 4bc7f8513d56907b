"""An invoice as a PDF, drawn with fpdf2 (pure Python: no system libraries), built once per version.

Text is set in DejaVu Sans, shipped with Remit (remit/invoices/fonts, free licence), so names and
descriptions in any Latin, Greek or Cyrillic script print correctly.

Every caller (portal, console, API, the invoice email) asks ``invoice_pdf_bytes(invoice)``. Drawing
one takes 80–250 ms of CPU, so the bytes are kept in ``InvoicePdf`` under a version: the SHA-256 of
``PrintedInvoice``, everything the PDF shows (the invoice, its lines, amounts paid and credited, the
customer, the biller's name, colour and logo) plus this module's own source. The PDF is drawn from
that record alone, so no change to what it prints can leave an old PDF in place: a payment, a
credit, an edit or new branding gives a new version, and the next request draws it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import fpdf
from django.db import DatabaseError, transaction
from django.utils import timezone
from fpdf import FPDF

from remit.invoices.models import Invoice, InvoicePdf
from remit.lib.money import format_cents
from remit.lib.pdf_fonts import add_kept_font

logger = logging.getLogger(__name__)

FONTS = Path(__file__).parent / "fonts"
INK = (17, 24, 39)
SOFT = (75, 85, 99)
LINE = (229, 231, 235)


# --- What every Remit PDF shares (invoice, statement, receipt, credit note) ------------------------


def add_dejavu(pdf: FPDF) -> None:
    """DejaVu Sans, regular and bold, as the family "DejaVu": parsed once per process (lib/pdf_fonts.py)."""
    add_kept_font(pdf, "DejaVu", "", FONTS / "DejaVuSans.ttf")
    add_kept_font(pdf, "DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")


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


# --- What an invoice's PDF prints, and its version --------------------------------------------


@dataclass(frozen=True)
class PrintedLine:
    description: str
    quantity: Decimal
    unit_price_cents: int
    amount_cents: int


@dataclass(frozen=True)
class PrintedInvoice:
    """Everything an invoice's PDF shows, and nothing else. It also has the attributes ``brand_bar``
    and ``draw_logo`` read from a biller (``brand_color``, ``has_logo``, ``logo_*``)."""

    biller_name: str
    brand_color: str
    logo_sha256: str
    logo_width: int | None
    logo_height: int | None
    portal_url: str
    number: str
    is_void: bool
    issue_date: date
    due_date: date
    terms_label: str
    customer_name: str
    address_lines: tuple[str, ...]
    billing_emails: tuple[str, ...]  # the first, which is all it prints
    customer_reference: str
    lines: tuple[PrintedLine, ...]
    subtotal_cents: int
    tax_rate: Decimal
    tax_cents: int
    total_cents: int
    paid_cents: int
    credited_cents: int
    balance_cents: int
    memo: str
    # The logo itself is named by logo_sha256 above; its bytes stay out of the version's hash.
    logo_png: bytes | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_sha256)

    def version(self) -> str:
        return hashlib.sha256(f"{_layout_version()}\n{self!r}".encode()).hexdigest()


@cache
def _layout_version() -> str:
    """This module's source and fpdf2's version: a change to how the PDF is drawn is a new version too."""
    return hashlib.sha256(Path(__file__).read_bytes() + fpdf.__version__.encode()).hexdigest()


def printed_invoice(invoice: Invoice) -> PrintedInvoice:
    biller, customer = invoice.biller, invoice.customer
    return PrintedInvoice(
        biller_name=biller.name,
        brand_color=biller.brand_color,
        logo_sha256=biller.logo_sha256 if biller.logo_png else "",
        logo_width=biller.logo_width,
        logo_height=biller.logo_height,
        logo_png=bytes(biller.logo_png) if biller.logo_png else None,
        portal_url=biller.portal_url(),
        number=invoice.number,
        is_void=invoice.is_void,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        terms_label=invoice.terms_label,
        customer_name=customer.name,
        address_lines=tuple(customer.address_lines),
        billing_emails=tuple(customer.billing_emails[:1]),
        customer_reference=customer.reference,
        lines=tuple(
            PrintedLine(line.description, line.quantity, line.unit_price_cents, line.amount_cents)
            for line in invoice.lines.all()
        ),
        subtotal_cents=invoice.subtotal_cents,
        tax_rate=invoice.tax_rate,
        tax_cents=invoice.tax_cents,
        total_cents=invoice.total_cents,
        paid_cents=invoice.paid_cents,
        credited_cents=invoice.credited_cents,
        balance_cents=invoice.balance_cents,
        memo=invoice.memo,
    )


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The invoice's PDF: the one kept for its current version, or drawn now and kept."""
    printed = printed_invoice(invoice)
    version = printed.version()
    kept = InvoicePdf.objects.filter(invoice=invoice, version=version).values_list("pdf", flat=True).first()
    if kept is not None:
        return bytes(kept)
    data = draw_invoice_pdf(printed)
    _keep(invoice, version, data)
    return data


def _keep(invoice: Invoice, version: str, data: bytes) -> None:
    # A cache, not a record: no event row, and failing to keep it (a busy database) must not fail
    # the request that already has its PDF. The savepoint leaves a surrounding transaction usable.
    try:
        with transaction.atomic():
            InvoicePdf.objects.update_or_create(
                invoice=invoice, defaults={"version": version, "pdf": data, "created_at": timezone.now()}
            )
    except DatabaseError:
        logger.warning("Could not keep the PDF of invoice %s", invoice.pk, exc_info=True)


# --- Drawing the invoice ---------------------------------------------------------------------------


class _InvoicePDF(FPDF):
    def __init__(self, printed: PrintedInvoice) -> None:
        super().__init__(format="Letter", unit="mm")
        self.printed = printed
        add_dejavu(self)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)
        self.set_title(f"Invoice {printed.number}")
        self.set_author(printed.biller_name)
        self.set_creator("Remit")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*SOFT)
        self.cell(
            0,
            5,
            f"{self.printed.biller_name} · Invoice {self.printed.number} · Page {self.page_no()}/{{nb}}",
            align="C",
        )


def draw_invoice_pdf(printed: PrintedInvoice) -> bytes:
    """Draw the PDF (callers want ``invoice_pdf_bytes``, which keeps it)."""
    pdf = _InvoicePDF(printed)
    pdf.add_page()
    brand = brand_bar(pdf, printed)

    # Header: logo (or name) on the left, INVOICE and its number on the right.
    top = pdf.get_y()
    if not draw_logo(pdf, printed, y=top):
        pdf.set_font("DejaVu", "B", 16)
        pdf.set_text_color(*INK)
        pdf.cell(90, 10, printed.biller_name)
    pdf.set_xy(pdf.w - 18 - 80, top)
    pdf.set_font("DejaVu", "B", 20)
    pdf.set_text_color(*brand)
    pdf.cell(80, 9, "INVOICE", align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*INK)
    pdf.set_x(pdf.w - 18 - 80)
    pdf.cell(80, 6, printed.number, align="R")
    if printed.is_void:
        pdf.set_xy(pdf.w - 18 - 80, top + 16)
        pdf.set_text_color(180, 35, 24)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(80, 6, "VOID", align="R")

    # From / Bill to / dates.
    pdf.set_y(top + 26)
    label_block(pdf, "From", [printed.biller_name], x=18, width=55)
    label_block(
        pdf, "Bill to", [printed.customer_name, *printed.address_lines, *printed.billing_emails], x=78, width=62
    )
    rows = [("Issued", f"{printed.issue_date:%b %-d, %Y}"), ("Due", f"{printed.due_date:%b %-d, %Y}")]
    if printed.terms_label:
        rows.append(("Terms", printed.terms_label))
    if printed.customer_reference:
        rows.append(("Customer ref.", printed.customer_reference))
    _key_values(pdf, rows, x=145, top=top + 26)

    pdf.set_y(max(pdf.get_y(), top + 26 + 7 * (len(printed.address_lines) + 3)) + 6)
    _lines_table(pdf, printed)
    _totals(pdf, printed, brand)

    if printed.memo:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 9)
        pdf.set_text_color(*SOFT)
        pdf.cell(0, 5, "Memo", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5, printed.memo)
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(0, 5, f"Pay online from your bank account at {printed.portal_url}")
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


def _lines_table(pdf: FPDF, printed: PrintedInvoice) -> None:
    pdf.set_draw_color(*LINE)
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_text_color(*SOFT)
    widths = (100, 20, 30, 30)
    for label, width, align in zip(("DESCRIPTION", "QTY", "UNIT PRICE", "AMOUNT"), widths, "LRRR", strict=True):
        pdf.cell(width, 7, label, border="B", align=align)
    pdf.ln()
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*INK)
    for line in printed.lines:
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


def _totals(pdf: FPDF, printed: PrintedInvoice, brand: tuple[int, int, int]) -> None:
    rows = [("Subtotal", format_cents(printed.subtotal_cents))]
    if printed.tax_cents or printed.tax_rate:
        rows.append((f"Tax ({printed.tax_rate.normalize():f}%)", format_cents(printed.tax_cents)))
    rows.append(("Total", format_cents(printed.total_cents)))
    if printed.paid_cents:
        rows.append(("Paid", f"−{format_cents(printed.paid_cents)}"))
    if printed.credited_cents:
        rows.append(("Credits", f"−{format_cents(printed.credited_cents)}"))
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
    label = "Balance due" if not printed.is_void else "Void"
    pdf.cell(50, 9, label, align="R")
    pdf.set_text_color(*INK)
    pdf.cell(
        30, 9, format_cents(0 if printed.is_void else printed.balance_cents), align="R", new_x="LMARGIN", new_y="NEXT"
    )
