from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from remit.billers.models import Membership
from remit.customers.models import Customer, CustomerEvent
from remit.invoices.models import Invoice, InvoiceEvent
from remit.payments.models import Payment
from remit.test import make_biller, make_customer, make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(client):
    biller, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    return biller


def test_adding_a_customer(client, acme):
    response = client.post(
        "/console/acme-supply/customers/new/",
        {
            "name": "Initech",
            "billing_emails": "pat@initech.example, ap@initech.example",
            "reference": "INI",
            "country": "US",
        },
    )
    customer = Customer.objects.get()
    assert response["Location"] == f"/console/acme-supply/customers/{customer.pk}/"
    assert customer.billing_emails == ["pat@initech.example", "ap@initech.example"]
    page = client.get(response["Location"]).content.decode()
    assert "pat@initech.example, ap@initech.example" in page


@pytest.mark.parametrize(
    ("reference", "shown", "explained"),
    [
        ("ZOE-MULLER-OHARA-LONGREF", "ZOE-MULLER*QZKY", "the reference doesn't fit"),
        ("ini-7", "INI-7", None),
        ("", "C{pk}", "No reference: Remit sends this ID"),
    ],
)
def test_the_customer_page_shows_the_id_its_ach_debits_carry(client, acme, reference, shown, explained):
    customer = make_customer(acme, "Zoe Muller", reference=reference)
    page = client.get(f"/console/acme-supply/customers/{customer.pk}/").content.decode()
    assert f"<dt>ID in ACH debits</dt><dd>{shown.format(pk=customer.pk)}" in page
    assert explained is None or explained in page
    assert ("doesn't fit" in page) == (reference == "ZOE-MULLER-OHARA-LONGREF")


def test_console_writes_record_the_user_and_no_api_key(client, acme, run_on_commit):
    owner = Membership.objects.get(biller=acme).user
    new = {"name": "Initech", "billing_emails": "pat@initech.example", "country": "US"}
    client.post("/console/acme-supply/customers/new/", new)
    customer = Customer.objects.get()
    client.post(f"/console/acme-supply/customers/{customer.pk}/archive")
    invoice = make_invoice(make_customer(acme, "Globex", email="ap@globex.example"))
    with run_on_commit(execute=True):
        client.post(f"/console/acme-supply/invoices/{invoice.pk}/send")
    client.post(f"/console/acme-supply/invoices/{invoice.pk}/void", {"reason": "Ordered twice"})
    customer_events = CustomerEvent.objects.filter(customer=customer).order_by("pk")
    invoice_events = InvoiceEvent.objects.filter(invoice=invoice, kind__in=["sent", "voided"]).order_by("pk")
    assert [event.kind for event in customer_events] == ["created", "archived"]
    assert [event.kind for event in invoice_events] == ["sent", "voided"]
    assert all((event.actor, event.api_key) == (owner, None) for event in customer_events)
    assert all((event.actor, event.api_key) == (owner, None) for event in invoice_events)
    customer_page = client.get(f"/console/acme-supply/customers/{customer.pk}/").content.decode()
    assert f"Archived by {owner}" in customer_page and "via API key" not in customer_page
    invoice_page = client.get(f"/console/acme-supply/invoices/{invoice.pk}/").content.decode()
    assert f"Voided by {owner}" in invoice_page and "via API key" not in invoice_page


def test_customer_form_errors_name_the_field(client, acme):
    make_customer(acme, "Globex", reference="GLX")
    response = client.post(
        "/console/acme-supply/customers/new/",
        {"name": "", "billing_emails": "pat@, ok@x.example", "reference": "glx", "country": "US", "postal_code": "9"},
    )
    html = response.content.decode()
    assert 'id="id_name_error"' in html and 'id="id_billing_emails_error"' in html
    assert "Not an email address: pat@." in html
    assert Customer.objects.count() == 1


def test_creating_an_invoice_with_lines(client, acme):
    customer = make_customer(acme, "Initech")
    data = {
        "customer": customer.pk,
        "number": "",
        "issue_date": "2026-11-02",
        "terms": "net_30",
        "due_date": "",
        "tax_rate": "8.25",
        "memo": "Thanks",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-description": "Anvils",
        "lines-0-quantity": "3",
        "lines-0-unit_price": "125",
        "lines-1-description": "Rocket skates",
        "lines-1-quantity": "1.5",
        "lines-1-unit_price": "$99.99",
        "lines-2-description": "",
        "lines-2-quantity": "1",
        "lines-2-unit_price": "",
        "save": "1",
    }
    response = client.post("/console/acme-supply/invoices/new/", data)
    invoice = Invoice.objects.get()
    assert response["Location"] == f"/console/acme-supply/invoices/{invoice.pk}/"
    assert (invoice.number, invoice.total_cents, invoice.due_date) == ("INV-00001", 56830, date(2026, 12, 2))
    assert invoice.lines.count() == 2
    detail = client.get(response["Location"]).content.decode()
    assert "$568.30" in detail and "Not emailed yet" in detail


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lines-0-unit_price": "12.345"}, "more than two decimals"),
        ({"lines-0-quantity": "-2"}, "The quantity cannot be negative"),
        ({"terms": "custom", "due_date": "2026-10-01"}, "The due date is before the issue date"),
        ({"tax_rate": "abc"}, "is not a number"),
        ({"lines-0-description": "", "lines-0-unit_price": ""}, "An invoice needs at least one line"),
    ],
)
def test_invoice_form_errors_are_shown_and_nothing_is_saved(client, acme, changes, message):
    customer = make_customer(acme)
    data = {
        "customer": customer.pk,
        "issue_date": "2026-11-02",
        "terms": "net_30",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-description": "Anvils",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "10",
        "save": "1",
    }
    response = client.post("/console/acme-supply/invoices/new/", {**data, **changes})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Invoice.objects.exists()


def test_add_another_line_keeps_what_was_typed(client, acme):
    customer = make_customer(acme)
    data = {
        "customer": customer.pk,
        "issue_date": "2026-11-02",
        "terms": "net_30",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-description": "Anvils",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "10",
        "add_line": "1",
    }
    html = client.post("/console/acme-supply/invoices/new/", data).content.decode()
    assert 'name="lines-1-description"' in html and 'value="Anvils"' in html
    assert not Invoice.objects.exists()


def test_an_invoice_of_another_customer_cannot_be_smuggled_in(client, acme):
    other, _ = make_biller("Globex")
    foreign = make_customer(other)
    data = {
        "customer": foreign.pk,
        "issue_date": "2026-11-02",
        "terms": "net_30",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-description": "x",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "10",
        "save": "1",
    }
    response = client.post("/console/acme-supply/invoices/new/", data)
    assert "Select a valid choice" in response.content.decode()
    assert not Invoice.objects.exists()


def test_send_void_and_record_payment_from_the_invoice_page(client, acme, run_on_commit, mailbox):
    invoice = make_invoice(make_customer(acme, "Initech", email="pat@initech.example"), amount_cents=10000)
    base = f"/console/acme-supply/invoices/{invoice.pk}"
    with run_on_commit(execute=True):
        client.post(f"{base}/send")
    assert "emailed to pat@initech.example" in client.get(f"{base}/").content.decode()
    response = client.post(
        f"{base}/payments/new/", {"amount": "40", "method": "check", "received_on": "2026-11-20", "reference": "1042"}
    )
    assert response["Location"] == f"{base}/"
    invoice.refresh_from_db()
    assert (invoice.paid_cents, invoice.balance_cents) == (4000, 6000)
    too_much = client.post(
        f"{base}/payments/new/", {"amount": "60.01", "method": "check", "received_on": "2026-11-20"}, follow=True
    )
    assert (
        "It was $0.01 more than was left to pay, so that part is now account credit CN-000001 for Initech."
        in too_much.content.decode()
    )
    client.post(f"{base}/void", {"reason": "Wrong customer"})
    invoice.refresh_from_db()
    assert not invoice.is_void  # paid invoices can't be voided
    assert Payment.objects.count() == 2
    assert len(mailbox()) == 1


def test_invoice_list_filters(client, acme):
    today = timezone.localdate()
    customer = make_customer(acme, "Initech")
    overdue = make_invoice(customer, issue_date=today - timedelta(days=60))
    current = make_invoice(customer, issue_date=today)
    html = client.get("/console/acme-supply/invoices/?status=overdue").content.decode()
    assert overdue.number in html and current.number not in html
    html = client.get(f"/console/acme-supply/invoices/?q={current.number}").content.decode()
    assert current.number in html and overdue.number not in html


def _queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_invoice_list_and_dashboard_queries_do_not_grow_with_invoices(client, acme):
    customer = make_customer(acme)
    for _ in range(10):
        make_invoice(customer)
    ten = (_queries(client, "/console/acme-supply/invoices/"), _queries(client, "/console/acme-supply/"))
    customers = [make_customer(acme, f"Customer {n}") for n in range(20)]
    Invoice.objects.bulk_create(
        Invoice(
            biller=acme,
            customer=customers[n % 20],
            number=f"BULK-{n}",
            issue_date=date(2026, 1, 1) + timedelta(days=n % 300),
            due_date=date(2026, 2, 1) + timedelta(days=n % 300),
            subtotal_cents=1000,
            total_cents=1000,
        )
        for n in range(990)
    )
    thousand = (_queries(client, "/console/acme-supply/invoices/"), _queries(client, "/console/acme-supply/"))
    assert ten == thousand
    assert _queries(client, "/console/acme-supply/customers/") == _queries(
        client, "/console/acme-supply/customers/?q=Customer"
    )
