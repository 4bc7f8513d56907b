"""An invoice's PDF is drawn once per version and kept: every caller (console, portal, API, the
invoice email) gets the kept bytes, and anything that changes what it prints draws it again."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from remit.api.actions import api_key_create
from remit.billers.actions import biller_update_branding
from remit.customers.actions import customer_update
from remit.customers.rules import CustomerFields
from remit.invoices import pdf
from remit.invoices.actions import InvoiceDraft, invoice_send, invoice_update, invoice_void
from remit.invoices.models import Invoice, InvoicePdf
from remit.invoices.totals import Line
from remit.lib.images import normalize_logo
from remit.payments.actions import payment_record_offline
from remit.payments.credits import credit_issue
from remit.test import World, png_bytes, portal_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The invoice numbers of every PDF drawn (not served from the kept copy) during the test."""
    drawn: list[str] = []
    draw = pdf.draw_invoice_pdf

    def counting(printed: pdf.PrintedInvoice) -> bytes:
        drawn.append(printed.number)
        return draw(printed)

    monkeypatch.setattr(pdf, "draw_invoice_pdf", counting)
    return drawn


def text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def fresh(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_related("biller", "customer").get(pk=invoice.pk)


def test_every_caller_gets_the_pdf_drawn_once(
    world: World, client: Any, draws: list[str], mailbox: Any, run_on_commit: Any
) -> None:
    invoice = world.invoice(amount_cents=12345)
    client.force_login(world.owner)
    console = client.get(f"/console/{world.biller.slug}/invoices/{invoice.pk}/pdf")
    assert console.status_code == 200 and draws == [invoice.number]

    client.logout()
    portal_login(client, world.admin)
    portal = client.get(f"/{world.biller.slug}/invoices/{invoice.pk}/pdf")
    api = client.get(
        f"/api/v1/invoices/{invoice.pk}/pdf",
        HTTP_AUTHORIZATION=f"Bearer {api_key_create(biller=world.biller, actor=world.owner, name='PDF').secret}",
        HTTP_ACCEPT="application/pdf",
    )
    with run_on_commit(execute=True):
        invoice_send(invoice=invoice, actor=world.owner)
    attachment = next(mailbox()[0].iter_attachments()).get_content()

    assert draws == [invoice.number]  # drawn for the console, kept for the others
    assert console.content == portal.content == api.content == attachment
    assert "$123.45" in text(console.content) and InvoicePdf.objects.filter(invoice=invoice).count() == 1


def test_the_kept_pdf_reads_as_a_freshly_drawn_one(world: World, draws: list[str]):
    invoice = world.invoice(amount_cents=9999)
    first = pdf.invoice_pdf_bytes(fresh(invoice))
    kept = pdf.invoice_pdf_bytes(fresh(invoice))
    assert kept == first and len(draws) == 1
    assert text(kept) == text(pdf.draw_invoice_pdf(pdf.printed_invoice(fresh(invoice))))


def _pay(world: World, invoice: Invoice) -> str:
    payment_record_offline(
        invoice=invoice, actor=world.owner, amount_cents=4000, method="check", received_on=timezone.localdate()
    )
    return "Paid"


def _credit(world: World, invoice: Invoice) -> str:
    credit_issue(
        biller=world.biller, customer=world.customer, invoice=invoice, amount_cents=1500, reason="Damaged", actor=None
    )
    return "Credits"


def _edit(world: World, invoice: Invoice) -> str:
    draft = InvoiceDraft(
        customer=world.customer,
        issue_date=invoice.issue_date,
        lines=[Line("Widgets", Decimal(1), 10000), Line("Sprockets, boxed", Decimal(2), 250)],
        memo="Thank you for your order",
    )
    invoice_update(invoice=invoice, actor=world.owner, draft=draft)
    return "Sprockets, boxed"


def _void(world: World, invoice: Invoice) -> str:
    invoice_void(invoice=invoice, actor=world.owner, reason="Entered twice")
    return "VOID"


def _customer(world: World, invoice: Invoice) -> str:
    fields = CustomerFields(**{k: getattr(world.customer, k) for k in CustomerFields.__dataclass_fields__})
    customer_update(customer=world.customer, actor=world.owner, fields=replace(fields, name="Globex International"))
    return "Globex International"


def _colour(world: World, invoice: Invoice) -> str:
    biller_update_branding(biller=world.biller, actor=world.owner, brand_color="#c2410c")
    return "INVOICE"  # the colour changes, not the words


def _logo(world: World, invoice: Invoice) -> str:
    logo = normalize_logo(png_bytes((300, 90)), "logo.png")
    biller_update_branding(biller=world.biller, actor=world.owner, brand_color=world.biller.brand_color, logo=logo)
    return "INVOICE"


CHANGES = [_pay, _credit, _edit, _void, _customer, _colour, _logo]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__[1:])
def test_a_change_to_what_it_prints_draws_it_again(world: World, draws: list[str], change: Any):
    invoice = world.invoice(amount_cents=10000)
    before = pdf.invoice_pdf_bytes(fresh(invoice))
    assert pdf.invoice_pdf_bytes(fresh(invoice)) == before and len(draws) == 1

    words = change(world, fresh(invoice))
    after = pdf.invoice_pdf_bytes(fresh(invoice))
    assert len(draws) == 2 and after != before and words in text(after)
    assert pdf.invoice_pdf_bytes(fresh(invoice)) == after and len(draws) == 2  # and keeps the new one
    assert InvoicePdf.objects.filter(invoice=invoice).count() == 1  # in place of the old one


def test_unrelated_changes_keep_the_pdf(world: World, draws: list[str]):
    invoice = world.invoice()
    pdf.invoice_pdf_bytes(fresh(invoice))
    world.invoice()  # another invoice of the same customer
    world.bank_account()  # the customer adds a bank account
    pdf.invoice_pdf_bytes(fresh(invoice))
    assert len(draws) == 1
