"""A receipt as a PDF, drawn with fpdf2 in the invoice's look (``invoices.pdf``: its colours, and its
bundled DejaVu fonts when a name needs them). The bank account is named as ``payments.disclosure``
lets ``viewer`` read it; a withdrawn receipt is stamped WITHDRAWN, with when and why, so a copy kept
by the payer can't pass for proof of a payment that came back."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.errors import FPDFUnicodeEncodingException

from remit.invoices.pdf import INK, LINE, SOFT, add_dejavu, brand_bar, draw_logo
from remit.lib.money import format_cents
from remit.payments.disclosure import Viewer, describe_account
from remit.payments.models import PaymentMethod, Receipt

WITHDRAWN_RED = (180, 35, 24)


class _ReceiptPDF(FPDF):
    """Settlement writes thousands of receipts in one go, and loading and subsetting DejaVu costs
    ~200 ms a PDF, the built-in Helvetica (Windows-1252: accents, "•", "—", "·") well under 1 ms. So
    Helvetica unless a name needs more (Greek, Cyrillic…): then DejaVu, like the invoice."""

    def __init__(self, receipt: Receipt, *, unicode: bool) -> None:
        super().__init__(format="Letter", unit="mm")
        self.receipt = receipt
        if unicode:
            add_dejavu(self)
            self.text_family = "DejaVu"
        else:
            self.core_fonts_encoding = "windows-1252"
            self.text_family = "helvetica"
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)
        self.set_title(f"Receipt {receipt.number}")
        self.set_author(receipt.biller.name)
        self.set_creator("Remit")

    def font(self, style: str, size: float) -> None:
        self.set_font(self.text_family, style, size)

    def footer(self) -> None:
        self.set_y(-14)
        self.font("", 8)
        self.set_text_color(*SOFT)
        self.cell(
            0,
            5,
            f"{self.receipt.biller.name} · Receipt {self.receipt.number} · Page {self.page_no()}/{{nb}}",
            align="C",
        )


def paid_from(receipt: Receipt, *, viewer: Viewer) -> str:
    """How the money came: the bank account as ``viewer`` may read it, or the way the biller got it."""
    payment = receipt.payment
    if payment.bank_account is not None:
        return "ACH debit from " + describe_account(payment.bank_account, viewer=viewer)
    method = PaymentMethod(payment.method).label
    return f"{method} · {payment.reference}" if payment.reference else method


def paid_by(receipt: Receipt) -> str:
    payment = receipt.payment
    if payment.is_autopay:
        return "Auto Pay"
    if payment.method != PaymentMethod.ACH:
        return f"Recorded by {receipt.biller.name}"
    if payment.retry_of_id:
        return f"{receipt.biller.name}, retrying a returned payment"
    return payment.created_by.email if payment.created_by is not None else ""


def receipt_pdf(receipt: Receipt, *, viewer: Viewer) -> bytes:
    """``receipt`` with its ``payment`` (customer, biller, allocations and invoices, bank account)
    loaded, as ``payments.receipts`` loads it."""
    try:
        return _draw(_ReceiptPDF(receipt, unicode=False), viewer=viewer)
    except FPDFUnicodeEncodingException:
        return _draw(_ReceiptPDF(receipt, unicode=True), viewer=viewer)


def _draw(pdf: _ReceiptPDF, *, viewer: Viewer) -> bytes:
    receipt = pdf.receipt
    biller, payment = receipt.biller, receipt.payment
    customer = payment.customer
    pdf.add_page()
    brand = brand_bar(pdf, biller)

    top = pdf.get_y()
    if not draw_logo(pdf, biller, y=top):
        pdf.font("B", 16)
        pdf.set_text_color(*INK)
        pdf.cell(90, 10, biller.name)
    pdf.set_xy(pdf.w - 18 - 80, top)
    pdf.font("B", 20)
    pdf.set_text_color(*brand)
    pdf.cell(80, 9, "RECEIPT", align="R", new_x="LEFT", new_y="NEXT")
    pdf.font("", 10)
    pdf.set_text_color(*INK)
    pdf.set_x(pdf.w - 18 - 80)
    pdf.cell(80, 6, receipt.number, align="R")

    pdf.set_y(top + 26)
    if receipt.withdrawn_at is not None:
        _withdrawn(pdf, receipt)

    # The amount, large, and what it was for.
    pdf.font("", 9)
    pdf.set_text_color(*SOFT)
    pdf.cell(0, 5, "AMOUNT RECEIVED", new_x="LMARGIN", new_y="NEXT")
    pdf.font("B", 22)
    pdf.set_text_color(*INK)
    pdf.cell(0, 11, format_cents(receipt.amount_cents), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    rows = [
        ("Received from", customer.name),
        ("Received by", biller.name),
        ("Settlement date", f"{receipt.settled_on:%B %-d, %Y}"),
        ("Paid from", paid_from(receipt, viewer=viewer)),
    ]
    if payment.method == PaymentMethod.ACH:
        rows.append(("Pay On", f"{payment.pay_on:%B %-d, %Y}"))
    if by := paid_by(receipt):
        rows.append(("Paid by", by))
    if customer.reference:
        rows.append(("Customer ref.", customer.reference))
    rows.append(("Payment reference", f"#{payment.pk}"))
    for key, value in rows:
        pdf.font("", 9)
        pdf.set_text_color(*SOFT)
        pdf.cell(42, 6, key)
        pdf.font("", 10)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 6, value, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    _invoices(pdf, receipt)
    pdf.ln(6)
    pdf.font("", 9)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(0, 5, f"Your payments at {biller.portal_url('payments/')}")
    return bytes(pdf.output())


def _withdrawn(pdf: _ReceiptPDF, receipt: Receipt) -> None:
    assert receipt.withdrawn_at is not None
    pdf.set_draw_color(*WITHDRAWN_RED)
    pdf.set_line_width(0.8)
    pdf.set_text_color(*WITHDRAWN_RED)
    pdf.font("B", 18)
    pdf.cell(0, 12, "WITHDRAWN", border=1, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.font("", 9)
    code = f" ({receipt.withdrawn_code})" if receipt.withdrawn_code else ""
    pdf.multi_cell(
        0,
        5,
        f"This receipt was withdrawn on {receipt.withdrawn_at:%B %-d, %Y}: the payment was returned by the "
        f"bank{code}, so the money was not received and the invoices below are open again.",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_line_width(0.2)
    pdf.ln(4)


def _invoices(pdf: _ReceiptPDF, receipt: Receipt) -> None:
    pdf.set_draw_color(*LINE)
    pdf.font("B", 8)
    pdf.set_text_color(*SOFT)
    widths = (90, 45, 45)
    for label, width, align in zip(("INVOICE PAID", "DUE", "AMOUNT"), widths, "LRR", strict=True):
        pdf.cell(width, 7, label, border="B", align=align)
    pdf.ln()
    pdf.font("", 10)
    pdf.set_text_color(*INK)
    for allocation in receipt.payment.allocations.all():
        invoice = allocation.invoice
        pdf.cell(widths[0], 7, invoice.number, border="B")
        pdf.cell(widths[1], 7, f"{invoice.due_date:%b %-d, %Y}", border="B", align="R")
        pdf.cell(
            widths[2], 7, format_cents(allocation.amount_cents), border="B", align="R", new_x="LMARGIN", new_y="NEXT"
        )
    pdf.font("B", 11)
    pdf.cell(widths[0] + widths[1], 8, "Total received", align="R")
    pdf.cell(widths[2], 8, format_cents(receipt.amount_cents), align="R", new_x="LMARGIN", new_y="NEXT")
