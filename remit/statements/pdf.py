"""A statement of account as a PDF (fpdf2 and the DejaVu fonts, like ``invoices/pdf.py``)."""

from __future__ import annotations

from fpdf import FPDF

from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.invoices.pdf import INK, LINE, SOFT, add_dejavu, brand_bar, draw_logo, label_block
from remit.lib.money import format_cents
from remit.statements.core import Statement

KIND_LABELS = {"invoice": "Invoice", "payment": "Payment", "return": "Return", "credit": "Credit", "void": "Void"}


def _day(day: object) -> str:
    return f"{day:%b %-d, %Y}"


def period_label(statement: Statement) -> str:
    return f"{_day(statement.start)} – {_day(statement.end)}"


class _StatementPDF(FPDF):
    def __init__(self, biller: Biller, customer: Customer) -> None:
        super().__init__(format="Letter", unit="mm")
        self.biller_name = biller.name
        add_dejavu(self)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)
        self.set_title(f"Statement of account — {customer.name}")
        self.set_author(biller.name)
        self.set_creator("Remit")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*SOFT)
        self.cell(0, 5, f"{self.biller_name} · Statement of account · Page {self.page_no()}/{{nb}}", align="C")


def statement_pdf(*, biller: Biller, customer: Customer, statement: Statement) -> bytes:
    pdf = _StatementPDF(biller, customer)
    pdf.add_page()
    brand = brand_bar(pdf, biller)
    top = pdf.get_y()
    if not draw_logo(pdf, biller, y=top):
        pdf.set_font("DejaVu", "B", 16)
        pdf.set_text_color(*INK)
        pdf.cell(90, 10, biller.name)
    pdf.set_xy(pdf.w - 18 - 100, top)
    pdf.set_font("DejaVu", "B", 18)
    pdf.set_text_color(*brand)
    pdf.cell(100, 9, "STATEMENT OF ACCOUNT", align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*INK)
    pdf.set_x(pdf.w - 18 - 100)
    pdf.cell(100, 6, period_label(statement), align="R")

    pdf.set_y(top + 24)
    y = pdf.get_y()
    label_block(pdf, "From", [biller.name], x=18, width=70)
    lines = [customer.name, *customer.address_lines]
    if customer.reference:
        lines.append(f"Customer ref. {customer.reference}")
    label_block(pdf, "Statement for", lines, x=95, width=95)
    pdf.set_y(y + 7 + 5 * len(lines) + 4)

    _summary(pdf, statement, brand)
    _lines(pdf, statement)
    _aging(pdf, statement)
    if statement.scheduled:
        pdf.ln(3)
        _heading(pdf, "Scheduled payments (not in the balance until they settle)")
        pdf.set_font("DejaVu", "", 9)
        pdf.set_text_color(*INK)
        for item in statement.scheduled:
            pdf.cell(60, 5, f"{item.reference}, Pay On {_day(item.pay_on)}")
            pdf.cell(30, 5, format_cents(item.amount_cents), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(0, 5, f"Pay online from your bank account at {biller.portal_url()}")
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_text_color(*SOFT)
    pdf.cell(0, 6, text.upper(), new_x="LMARGIN", new_y="NEXT")


def _summary(pdf: FPDF, statement: Statement, brand: tuple[int, int, int]) -> None:
    totals = statement.totals
    rows = [
        (f"Opening balance on {_day(statement.start)}", format_cents(statement.opening_cents)),
        ("Invoices", format_cents(totals["invoice"])),
        ("Payments", f"−{format_cents(totals['payment'])}"),
        ("Returned payments", format_cents(totals["return"])),
        ("Credits", f"−{format_cents(totals['credit'])}"),
        ("Voided invoices", f"−{format_cents(totals['void'])}"),
    ]
    for label, value in rows:
        pdf.set_font("DejaVu", "", 10)
        pdf.set_text_color(*SOFT)
        pdf.cell(90, 6, label)
        pdf.set_text_color(*INK)
        pdf.cell(35, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 12)
    pdf.set_text_color(*brand)
    pdf.cell(90, 8, f"Closing balance on {_day(statement.end)}")
    pdf.set_text_color(*INK)
    pdf.cell(35, 8, format_cents(statement.closing_cents), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _lines(pdf: FPDF, statement: Statement) -> None:
    pdf.set_draw_color(*LINE)
    widths = (24, 81, 24, 24, 26)
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_text_color(*SOFT)
    for label, width, align in zip(
        ("DATE", "DESCRIPTION", "CHARGES", "CREDITS", "BALANCE"), widths, "LLRRR", strict=True
    ):
        pdf.cell(width, 7, label, border="B", align=align)
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*INK)
    pdf.cell(widths[0], 6, _day(statement.start))
    pdf.cell(widths[1] + widths[2] + widths[3], 6, "Opening balance")
    pdf.cell(widths[4], 6, format_cents(statement.opening_cents), align="R", new_x="LMARGIN", new_y="NEXT")
    for line in statement.lines:
        entry = line.entry
        wrapped: list[str] = pdf.multi_cell(widths[1], 5, entry.description, dry_run=True, output="LINES")  # type: ignore[assignment]
        height = 5 * max(len(wrapped), 1) + 1
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.cell(widths[0], 5, _day(entry.on))
        pdf.multi_cell(widths[1], 5, entry.description, new_x="RIGHT", new_y="TOP")
        pdf.set_xy(18 + widths[0] + widths[1], y)
        pdf.cell(widths[2], 5, format_cents(line.charge_cents) if line.charge_cents else "", align="R")
        pdf.cell(widths[3], 5, f"−{format_cents(line.credit_cents)}" if line.credit_cents else "", align="R")
        pdf.cell(widths[4], 5, format_cents(line.balance_cents), align="R")
        pdf.set_y(y + height)
        pdf.line(18, pdf.get_y(), 18 + sum(widths), pdf.get_y())
    if not statement.lines:
        pdf.set_text_color(*SOFT)
        pdf.cell(0, 6, "No invoices, payments or credits in this period.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _aging(pdf: FPDF, statement: Statement) -> None:
    if pdf.get_y() + 24 > pdf.page_break_trigger:
        pdf.add_page()
    _heading(pdf, f"Aging on {_day(statement.end)} (days past due)")
    columns = [(label, cents) for _, label, cents in statement.aging.buckets]
    if statement.aging.unapplied_cents:
        columns.append(("Account credit", statement.aging.unapplied_cents))
    columns.append(("Total", statement.aging.total_cents))
    width = 179 / len(columns)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*SOFT)
    for label, _ in columns:
        pdf.cell(width, 5, label, align="R", border="B")
    pdf.ln()
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*INK)
    for _, cents in columns:
        pdf.cell(width, 6, format_cents(cents), align="R")
    pdf.ln()
