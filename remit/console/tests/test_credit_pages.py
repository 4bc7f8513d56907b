"""Issue credit on the customer page, the customer's credits with their PDFs, and who may see them."""

import io

import pytest
from pypdf import PdfReader

from remit.payments.models import Credit
from remit.test import make_biller, make_customer, make_invoice, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(client):
    biller, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    return biller


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_issuing_a_credit_against_an_invoice_from_the_customer_page(client, acme):
    customer = make_customer(acme, "Initech")
    invoice = make_invoice(customer, amount_cents=10000)
    page = client.get(f"/console/acme-supply/customers/{customer.pk}/").content.decode()
    assert "Issue credit" in page and "No credits yet." in page
    form = client.get(f"/console/acme-supply/customers/{customer.pk}/credits/new/").content.decode()
    assert f"{invoice.number} — $100.00 left to pay" in form
    response = client.post(
        f"/console/acme-supply/customers/{customer.pk}/credits/new/",
        {"amount": "25", "reason": "Two crates arrived damaged", "invoice": invoice.pk},
        follow=True,
    )
    page = response.content.decode()
    assert "Credit CN-000001 of $25.00 was issued, applied to INV-00001." in page
    assert "Two crates arrived damaged" in page and "INV-00001 ($25.00)" in page
    invoice.refresh_from_db()
    assert invoice.balance_cents == 7500

    credit = Credit.objects.get()
    pdf = client.get(f"/console/acme-supply/credits/{credit.pk}/pdf?download=1")
    assert pdf["Content-Disposition"] == 'attachment; filename="CN-000001.pdf"'
    text = pdf_text(pdf.content)
    for expected in (
        "CREDIT NOTE",
        "CN-000001",
        "Acme Supply Co.",
        "Initech",
        "$25.00",
        "Two crates arrived damaged",
        "Invoice INV-00001",
        "Unapplied account credit",
    ):
        assert expected in text, expected


def test_account_credit_and_its_pdf(client, acme):
    customer = make_customer(acme, "Initech")
    client.post(f"/console/acme-supply/customers/{customer.pk}/credits/new/", {"amount": "40", "reason": "Goodwill"})
    credit = Credit.objects.get()
    assert credit.unapplied_cents == 4000
    page = client.get(f"/console/acme-supply/customers/{customer.pk}/").content.decode()
    assert "$40.00 unapplied account credit" in page
    text = pdf_text(client.get(f"/console/acme-supply/credits/{credit.pk}/pdf").content)
    assert "No invoice yet" in text and "$40.00" in text


def test_a_credit_above_what_the_invoice_has_left_is_refused_at_the_amount(client, acme):
    customer = make_customer(acme, "Initech")
    invoice = make_invoice(customer, amount_cents=10000)
    response = client.post(
        f"/console/acme-supply/customers/{customer.pk}/credits/new/",
        {"amount": "100.01", "reason": "Too much", "invoice": invoice.pk},
    )
    assert response.status_code == 200
    assert "That is more than the $100.00 left on INV-00001" in response.content.decode()
    assert not Credit.objects.exists()


def test_bad_input_is_refused_at_its_field(client, acme):
    customer = make_customer(acme, "Initech")
    other_invoice = make_invoice(make_customer(acme, "Globex"))
    response = client.post(
        f"/console/acme-supply/customers/{customer.pk}/credits/new/",
        {"amount": "0", "reason": " ", "invoice": other_invoice.pk},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page  # another customer's invoice is not offered
    assert not Credit.objects.exists()


def test_staff_may_issue_credits(client, acme):
    customer = make_customer(acme, "Initech")
    client.force_login(make_staff(acme))
    client.post(f"/console/acme-supply/customers/{customer.pk}/credits/new/", {"amount": "5", "reason": "Goodwill"})
    created_by = Credit.objects.get().created_by
    assert created_by is not None and created_by.email.startswith("staff")


def test_another_biller_sees_nothing(client, acme):
    customer = make_customer(acme, "Initech")
    client.post(f"/console/acme-supply/customers/{customer.pk}/credits/new/", {"amount": "5", "reason": "Goodwill"})
    credit = Credit.objects.get()
    _, other_owner = make_biller("Other Co.")
    client.force_login(other_owner)
    assert client.get(f"/console/other-co/credits/{credit.pk}/pdf").status_code == 404
    assert client.get(f"/console/acme-supply/credits/{credit.pk}/pdf").status_code == 404
    assert (
        client.post(
            f"/console/other-co/customers/{customer.pk}/credits/new/", {"amount": "5", "reason": "x"}
        ).status_code
        == 404
    )
    assert Credit.objects.count() == 1
