"""Invoices through the API: created, numbered and totalled by the same action as the console's
New invoice page, emailed for real, voided, and read as a PDF."""

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from remit.autopay.settings import autopay_save
from remit.customers.actions import customer_archive
from remit.invoices.models import Invoice, InvoiceEvent
from remit.test import make_invoice, parts

pytestmark = pytest.mark.django_db


def new_invoice(api, customer, /, **changes):
    body = {
        "customer": customer.pk,
        "issue_date": "2026-03-02",
        "terms": "net_30",
        "tax_rate": "8.25",
        "lines": [
            {"description": "Widgets", "quantity": "3", "unit_price_cents": 1999},
            {"description": "Delivery", "unit_price_cents": 1500},
        ],
        **changes,
    }
    return api.post("/api/v1/invoices", body, format="json")


def test_create_numbers_and_totals_through_the_action(world_api, world):
    first = new_invoice(world_api, world.customer)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["number"] == "INV-00001"
    assert body["due_date"] == "2026-04-01"
    assert [line["amount_cents"] for line in body["lines"]] == [5997, 1500]
    assert body["lines"][1]["quantity"] == "1.000"
    # 8.25% of 74.97 is 6.185025: half-up to the cent, once for the invoice.
    assert (body["subtotal_cents"], body["tax_cents"], body["total_cents"]) == (7497, 619, 8116)
    assert body["balance_cents"] == body["available_cents"] == 8116
    assert body["customer"] == world.customer.pk and body["customer_name"] == "Globex Corporation"
    assert new_invoice(world_api, world.customer).json()["number"] == "INV-00002"
    assert InvoiceEvent.objects.filter(kind="created").count() == 2


def test_create_answers_the_invoice_as_stored_without_reading_it_back(world_api, world):
    with CaptureQueriesContext(connection) as queries:
        created = new_invoice(world_api, world.customer, memo="  Thanks!  ", issue_date=str(date.today()))
    assert created.status_code == 201, created.json()
    # The answer is built from what was written: the lines (and the sends, none yet) are not read back.
    read_back = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    assert not [sql for sql in read_back if '"invoices_invoiceline"' in sql or '"invoices_invoicesend"' in sql]
    assert created.json() == world_api.get(f"/api/v1/invoices/{created.json()['id']}").json()


def test_create_shows_the_payment_auto_pay_scheduled_for_it(world_api, world):
    account = world.bank_account(number="123456789")
    autopay_save(
        customer=world.customer,
        actor=world.admin,
        enabled=True,
        max_cents=500000,
        bank_account_id=account.pk,
        days=2,
        when="before",
    )
    created = new_invoice(world_api, world.customer, issue_date=str(date.today()))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["pending_cents"] == body["total_cents"] == 8116 and body["available_cents"] == 0
    assert body == world_api.get(f"/api/v1/invoices/{body['id']}").json()


def test_terms_and_numbers_follow_the_rules(world_api, world):
    assert (
        new_invoice(world_api, world.customer, terms="custom", due_date="2026-05-01").json()["due_date"] == "2026-05-01"
    )
    response = new_invoice(world_api, world.customer, terms="custom")
    assert response.status_code == 400
    assert response.json()["errors"] == {"due_date": ["Enter the due date, or choose payment terms."]}
    assert new_invoice(world_api, world.customer, number="A-1").json()["number"] == "A-1"
    response = new_invoice(world_api, world.customer, number="A-1")
    assert response.json()["errors"] == {"number": ["Invoice number A-1 is already used."]}
    assert Invoice.objects.count() == 2


def test_terms_that_would_run_past_the_calendar_are_refused_not_a_crash(world_api, world):
    response = new_invoice(world_api, world.customer, issue_date="9999-12-31", terms="net_30")
    assert response.status_code == 400
    assert response.json()["errors"] == {"terms": ["The due date would be after the year 9999: check the issue date."]}
    assert new_invoice(world_api, world.customer, issue_date="9999-12-31", terms="due_on_receipt").status_code == 201


def test_nested_line_errors_are_named_by_position(world_api, world):
    response = new_invoice(
        world_api, world.customer, lines=[{"description": "Widgets", "unit_price_cents": 100}, {"unit_price_cents": -5}]
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == {
        "lines.1.description": ["This field is required."],
        "lines.1.unit_price_cents": ["Ensure this value is greater than or equal to 0."],
    }
    assert new_invoice(world_api, world.customer, lines=[]).json()["errors"] == {"lines": ["Add at least one line."]}


def test_numbers_written_in_other_scripts_are_refused(world_api, world):
    five = [{"description": "Widgets", "unit_price_cents": "٥"}]
    response = new_invoice(world_api, world.customer, lines=five)
    assert response.status_code == 400
    assert response.json()["errors"] == {"lines.0.unit_price_cents": ["A valid integer is required."]}
    three = [{"description": "Widgets", "quantity": "٣", "unit_price_cents": 500}]
    assert new_invoice(world_api, world.customer, lines=three).status_code == 400
    assert new_invoice(world_api, world.customer, tax_rate="٨").status_code == 400
    arabic_indic = str(world.customer.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))  # Globex's id
    assert new_invoice(world_api, world.customer, customer=arabic_indic).status_code == 400
    assert not Invoice.objects.exists()


def test_an_archived_customer_gets_no_new_invoices(world_api, world):
    customer_archive(customer=world.customer, actor=None)
    response = new_invoice(world_api, world.customer)
    assert response.json()["errors"] == {"customer": ["Globex Corporation is archived. Restore the customer first."]}


def test_send_delivers_the_email(world_api, world, mailbox, run_on_commit):
    invoice = world.invoice(amount_cents=172000)
    with run_on_commit(execute=True):
        response = world_api.post(f"/api/v1/invoices/{invoice.pk}/send")
    assert response.status_code == 200, response.json()
    assert response.json()["recipients"] == ["ap@globex.example"] and response.json()["invoice"] == invoice.pk
    [message] = mailbox()
    assert message["To"] == "ap@globex.example"
    assert message["Subject"].startswith(f"Invoice {invoice.number} from Acme Supply Co. — $1,720.00")
    assert "Pay Invoice Electronically" in parts(message)["text/plain"]
    assert [p.get_filename() for p in message.iter_attachments()] == [f"{invoice.number}.pdf"]
    assert len(world_api.get(f"/api/v1/invoices/{invoice.pk}").json()["sends"]) == 1


def test_void_tells_the_customer_and_a_second_void_conflicts(world_api, world, mailbox, run_on_commit):
    invoice = world.invoice()
    with run_on_commit(execute=True):
        response = world_api.post(f"/api/v1/invoices/{invoice.pk}/void", {"reason": "Ordered twice"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "void" and body["void_reason"] == "Ordered twice" and body["available_cents"] == 0
    assert any("Ordered twice" in parts(m)["text/plain"] for m in mailbox())
    again = world_api.post(f"/api/v1/invoices/{invoice.pk}/void", {"reason": "Again"}, format="json")
    assert again.status_code == 409
    assert again.json()["detail"] == "This invoice is already void."
    assert again.json()["type"].endswith("/api/v1/problems/conflict")
    sent = world_api.post(f"/api/v1/invoices/{invoice.pk}/send")
    assert sent.status_code == 409 and sent.json()["detail"] == "This invoice is void; it can't be sent."


def test_void_needs_a_reason(world_api, world):
    invoice = world.invoice()
    response = world_api.post(f"/api/v1/invoices/{invoice.pk}/void", {"reason": "  "}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["reason"]
    assert Invoice.objects.get().voided_at is None


def test_pdf(world_api, world):
    invoice = world.invoice(amount_cents=4200)
    for accept in ("*/*", "application/pdf"):
        response = world_api.get(f"/api/v1/invoices/{invoice.pk}/pdf", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'inline; filename="{invoice.number}.pdf"'
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        assert invoice.number in text and "$42.00" in text
    missing = world_api.get("/api/v1/invoices/999999/pdf", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    assert missing.json()["status"] == 404


@time_machine.travel(date(2026, 6, 15), tick=False)
def test_filters(world_api, world):
    initech = world.other_customer
    march = world.invoice(issue_date=date(2026, 3, 1), terms="net_30")  # due Mar 31: overdue
    may = world.invoice(issue_date=date(2026, 5, 20), terms="net_30")  # due Jun 19: open
    june = make_invoice(initech, issue_date=date(2026, 6, 1), terms="net_60")  # due Jul 31: open

    def ids(query):
        response = world_api.get(f"/api/v1/invoices?{query}")
        assert response.status_code == 200, response.json()
        return [invoice["id"] for invoice in response.json()["results"]]

    assert ids("") == [june.pk, may.pk, march.pk]
    assert ids("status=overdue") == [march.pk]
    assert ids("status=open") == [june.pk, may.pk]
    assert ids("status=outstanding") == [june.pk, may.pk, march.pk]
    assert ids(f"customer={world.customer.pk}") == [may.pk, march.pk]
    assert ids("issue_date_from=2026-05-20&issue_date_to=2026-06-01") == [june.pk, may.pk]
    assert ids(f"due_date_to={(date(2026, 6, 19)).isoformat()}") == [may.pk, march.pk]
    assert ids(f"due_date_from={(date(2026, 6, 19) + timedelta(days=1)).isoformat()}&status=open") == [june.pk]
    response = world_api.get("/api/v1/invoices?status=late&issue_date_from=yesterday&customer=x")
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["customer", "issue_date_from", "status"]
