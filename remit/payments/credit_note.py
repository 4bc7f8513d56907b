"""A credit as a PDF credit note, drawn with fpdf2 like the invoice (``remit.invoices.pdf``): its
number, the biller and the customer, the date, the amount and reason, and where it went — the
invoices it was applied to, and what is left as account credit."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fpdf import FPDF

from remit.invoices.pdf import INK, SOFT, add_dejavu, brand_bar, draw_logo
from remit.lib.money import format_cents
from remit.payments.models import Credit


def credit_note_pdf(credit: Credit) -> bytes:
    biller, customer = credit.biller, credit.customer
    pdf = FPDF(format="Letter", unit="mm")
    add_dejavu(pdf)
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(f"Credit note {credit.number}")
    pdf.set_author(biller.name)
    pdf.set_creator("Remit")
    pdf.add_page()
    brand = brand_bar(pdf, biller)

    top = pdf.get_y()
    if not draw_logo(pdf, biller, y=top):
        pdf.set_font("DejaVu", "B", 16)
        pdf.set_text_color(*INK)
        pdf.cell(90, 10, biller.name)
    pdf.set_xy(pdf.w - 18 - 80, top)
    pdf.set_font("DejaVu", "B", 20)
    pdf.set_text_color(*brand)
    pdf.cell(80, 10, "CREDIT NOTE", align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*INK)
    pdf.cell(80, 6, credit.number, align="R")
    pdf.set_y(top + 22)

    issued = credit.created_at.astimezone(ZoneInfo(biller.time_zone)).date()
    rows = [
        ("From", biller.name),
        ("To", customer.name),
        ("Date", f"{issued:%b %-d, %Y}"),
        ("Amount", format_cents(credit.amount_cents)),
        ("Reason", credit.reason),
    ]
    if credit.payment_id is not None:
        rows.append(("Source", "Overpayment of a payment received"))
    for key, value in rows:
        _row(pdf, key, value)

    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 9)
    pdf.set_text_color(*SOFT)
    pdf.cell(0, 6, "APPLIED TO", new_x="LMARGIN", new_y="NEXT")
    applications = list(credit.applications.select_related("invoice").order_by("applied_at", "pk"))
    for application in applications:
        _row(pdf, f"Invoice {application.invoice.number}", f"−{format_cents(application.amount_cents)}")
    if not applications:
        _row(pdf, "No invoice yet", "")
    _row(pdf, "Unapplied account credit", format_cents(credit.unapplied_cents), bold=True)
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(0, 5, f"See your invoices and credits at {biller.portal_url()}")
    return bytes(pdf.output())


def _row(pdf: FPDF, key: str, value: str, *, bold: bool = False) -> None:
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*SOFT)
    pdf.cell(55, 7, key)
    pdf.set_font("DejaVu", "B" if bold else "", 10)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
