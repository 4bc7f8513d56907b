import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import signing

from remit.billers.actions import biller_update_branding
from remit.invoices.actions import InvoiceError, invoice_send, invoice_void
from remit.invoices.links import LinkError, make_token, read_token
from remit.invoices.models import InvoiceEvent, InvoiceSend
from remit.lib.images import normalize_logo
from remit.test import make_biller, make_customer, make_invoice, parts, png_bytes

pytestmark = pytest.mark.django_db


def pay_link_in(text: str) -> str:
    match = re.search(r"http://[^\s\"]+/pay/[^\s\"]+/", text)
    assert match, "no Pay Invoice Electronically link"
    return match.group(0)


def test_the_invoice_email_as_delivered_over_smtp(smtp_server, run_on_commit):
    biller, owner = make_biller("Acme Supply Co.")
    biller = biller_update_branding(
        biller=biller, actor=owner, brand_color="#c2410c", logo=normalize_logo(png_bytes(), "l.png")
    )
    customer = make_customer(biller, "Initech", email="pat@initech.example")
    customer.billing_emails = ["pat@initech.example", "ap@initech.example"]
    customer.save()
    invoice = make_invoice(customer, amount_cents=172000, issue_date=date(2026, 11, 24))
    with run_on_commit(execute=True):
        send = invoice_send(invoice=invoice, actor=owner)

    assert send.recipients == ["pat@initech.example", "ap@initech.example"]
    [message] = smtp_server.messages
    assert sorted(smtp_server.envelopes[0][1]) == ["ap@initech.example", "pat@initech.example"]
    assert message["Subject"] == "Invoice INV-00001 from Acme Supply Co. — $1,720.00 due Dec 24, 2026"
    bodies = parts(message)
    html, text = bodies["text/html"], bodies["text/plain"]
    assert "Pay Invoice Electronically" in html and "Pay Invoice Electronically" in text
    assert ">Pay Invoice Electronically</a>" in html
    assert pay_link_in(html) == pay_link_in(text)
    assert pay_link_in(text).startswith("http://127.0.0.1:8000/acme-supply/pay/")
    assert "$1,720.00" in html and "$1,720.00" in text
    assert 'src="cid:logo@remit"' in html
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    pdf = attachments["INV-00001.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")
    assert InvoiceEvent.objects.filter(invoice=invoice, kind=InvoiceEvent.Kind.SENT).count() == 1


def test_resending_is_recorded_and_says_reminder(mailbox, run_on_commit):
    biller, owner = make_biller()
    invoice = make_invoice(make_customer(biller))
    with run_on_commit(execute=True):
        invoice_send(invoice=invoice, actor=owner)
        invoice_send(invoice=invoice, actor=None)
    assert InvoiceSend.objects.filter(invoice=invoice).count() == 2
    first, second = mailbox()
    assert not first["Subject"].startswith("Reminder")
    assert second["Subject"].startswith("Reminder: Invoice")


def test_a_void_invoice_or_one_without_email_is_not_sent():
    biller, _ = make_biller()
    customer = make_customer(biller)
    invoice = make_invoice(customer)
    customer.billing_emails = []
    customer.save()
    with pytest.raises(InvoiceError, match="has no billing email address"):
        invoice_send(invoice=invoice, actor=None)
    invoice_void(invoice=invoice, actor=None, reason="Duplicate")
    with pytest.raises(InvoiceError, match="void"):
        invoice_send(invoice=invoice, actor=None)


def test_the_link_is_bound_signed_and_expires():
    biller, _ = make_biller()
    invoice = make_invoice(make_customer(biller), issue_date=date(2026, 11, 1))  # due Dec 1
    token = make_token(invoice, sent_on=date(2026, 11, 1))
    link = read_token(token, today=date(2026, 11, 1))
    assert (link.biller_id, link.customer_id, link.invoice_id) == (biller.pk, invoice.customer_id, invoice.pk)
    assert link.expires_on >= invoice.due_date + timedelta(days=30)
    assert read_token(token, today=invoice.due_date + timedelta(days=30))
    with pytest.raises(LinkError, match="expired") as error:
        read_token(token, today=link.expires_on + timedelta(days=1))
    assert error.value.expired
    payload, _, signature = token.rpartition(":")
    tampered = payload.replace(payload[5], "A" if payload[5] != "A" else "B", 1) + ":" + signature
    with pytest.raises(LinkError, match="not valid"):
        read_token(tampered)
    forged = signing.dumps({"b": biller.pk, "c": 999, "i": invoice.pk, "e": "2099-01-01"}, salt="another purpose")
    with pytest.raises(LinkError, match="not valid"):
        read_token(forged)


def test_a_resent_reminder_for_an_overdue_invoice_gets_a_fresh_expiry():
    invoice = make_invoice(make_customer(make_biller()[0]), issue_date=date(2026, 1, 1))
    link = read_token(make_token(invoice, sent_on=date(2026, 11, 26)), today=date(2026, 11, 26))
    assert link.expires_on >= date(2026, 11, 26) + timedelta(days=30)


def test_the_pay_link_opens_the_billers_portal(client):
    biller, _ = make_biller("Acme Supply Co.")
    invoice = make_invoice(make_customer(biller, "Initech"), amount_cents=172000)
    token = make_token(invoice)
    page = client.get(f"/acme-supply/pay/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "$1,720.00" in html and "Pay Invoice Electronically" in html  # the sign-up page (issue 4)
    assert "Initech" in html and "Sign Up" in html


def test_a_tampered_expired_or_foreign_link_explains_itself(client):
    acme, _ = make_biller("Acme Supply Co.")
    make_biller("Globex Corporation")
    invoice = make_invoice(make_customer(acme), issue_date=date(2026, 1, 1))
    token = make_token(invoice, sent_on=date(2026, 1, 1))
    with time_machine.travel(date(2026, 11, 26)):
        expired = client.get(f"/acme-supply/pay/{token}/")
    assert expired.status_code == 410 and "This link has expired." in expired.content.decode()
    fresh = make_token(invoice)
    assert client.get(f"/acme-supply/pay/{fresh[:-3]}xyz/").status_code == 404
    foreign = client.get(f"/globex/pay/{fresh}/")
    assert foreign.status_code == 404 and "This link is not for this portal." in foreign.content.decode()
    assert "Acme" not in foreign.content.decode()
