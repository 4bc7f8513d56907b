"""The console's import page and CSV downloads, through the test client."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, include, path

from remit import urls as remit_urls
from remit.console import urls as console_urls
from remit.console import views_transfer
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.lib.csv_table import NOT_UTF8
from remit.test import make_biller, make_customer, make_invoice, make_staff

# Until console/urls.py names these pages, this module serves them itself (and steps aside once it does).
TRANSFER_URLS = [
    path("<slug:slug>/import/", views_transfer.import_file, name="import"),
    path("<slug:slug>/export/invoices.csv", views_transfer.export_invoices, name="export_invoices"),
    path("<slug:slug>/export/payments.csv", views_transfer.export_payments, name="export_payments"),
]
_registered = {getattr(pattern, "name", None) for pattern in console_urls.urlpatterns}
_console = [*console_urls.urlpatterns, *(p for p in TRANSFER_URLS if p.name not in _registered)]
urlpatterns = [
    path("console/", include((_console, "console"))),
    *(p for p in remit_urls.urlpatterns if not (isinstance(p, URLResolver) and str(p.pattern) == "console/")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

CUSTOMERS = b"Name,Customer reference,Email\r\nGlobex,GLX-1,ap@globex.example\r\nInitech,INI-7,ap@initech.example\r\n"
BAD_INVOICES = (
    b"Invoice number,Customer reference,Issue date,Description,Unit price\r\n"
    b"A-1,GLX-1,2025-01-15,Widgets,10\r\n"
    b"A-2,NOBODY,2025-01-15,Widgets,12.345\r\n"
)


def upload(data: bytes, name: str = "file.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def acme():
    return make_biller("Acme Supply Co.")


def test_the_page_explains_the_columns_and_offers_the_downloads(client, acme):
    biller, owner = acme
    client.force_login(owner)
    page = client.get(f"/console/{biller.slug}/import/")
    assert page.status_code == 200
    assert b"Import from a CSV file" in page.content
    assert b"customer reference" in page.content
    assert f'href="/console/{biller.slug}/export/invoices.csv"'.encode() in page.content


def test_importing_customers_then_saying_so(client, acme):
    biller, owner = acme
    client.force_login(owner)
    response = client.post(f"/console/{biller.slug}/import/", {"kind": "customers", "file": upload(CUSTOMERS)})
    assert response.status_code == 302
    assert response["Location"] == f"/console/{biller.slug}/import/"
    assert b"Imported 2 customers." in client.get(response["Location"]).content
    assert Customer.objects.filter(biller=biller).count() == 2


def test_staff_may_import_invoices(client, acme):
    biller, _ = acme
    make_customer(biller, "Globex", reference="GLX-1")
    client.force_login(make_staff(biller))
    data = b"Customer reference,Issue date,Description,Unit price\r\nGLX-1,2025-01-15,Widgets,10\r\n"
    response = client.post(f"/console/{biller.slug}/import/", {"kind": "invoices", "file": upload(data)})
    assert response.status_code == 302
    assert Invoice.objects.get(biller=biller).created_by is not None


def test_a_file_with_problems_lists_them_and_imports_nothing(client, acme):
    biller, owner = acme
    make_customer(biller, "Globex", reference="GLX-1")
    client.force_login(owner)
    response = client.post(f"/console/{biller.slug}/import/", {"kind": "invoices", "file": upload(BAD_INVOICES)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "The file has 2 problems." in page
    assert "<td>3</td><td>Customer reference</td><td>No customer has the reference “NOBODY”." in page
    assert "<td>3</td><td>Unit price</td><td>“12.345” has more than two decimals" in page
    assert Invoice.objects.count() == 0


def test_a_file_that_is_not_utf8_is_refused_at_the_file_field(client, acme):
    biller, owner = acme
    client.force_login(owner)
    data = "Name,Email\r\nCafé,ap@cafe.example\r\n".encode("cp1252")
    response = client.post(f"/console/{biller.slug}/import/", {"kind": "customers", "file": upload(data)})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_file_error"' in page
    assert NOT_UTF8 in page
    assert Customer.objects.count() == 0


def test_choosing_no_file_is_explained_at_the_field(client, acme):
    biller, owner = acme
    client.force_login(owner)
    response = client.post(f"/console/{biller.slug}/import/", {"kind": "customers"})
    assert b'id="id_file_error"' in response.content


def test_downloading_invoices_and_payments(client, acme):
    biller, owner = acme
    make_invoice(make_customer(biller, "Globex", reference="GLX-1"), amount_cents=12_345)
    client.force_login(owner)
    response = client.get(f"/console/{biller.slug}/export/invoices.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{biller.slug}-invoices-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Invoice number"
    assert (rows[1][0], rows[1][1], rows[1][8]) == ("INV-00001", "Globex", "123.45")
    payments = client.get(f"/console/{biller.slug}/export/payments.csv")
    assert b"".join(payments.streaming_content).decode("utf-8-sig").startswith("Payment ID,Date,")


@pytest.mark.parametrize(
    "url", ["/console/{slug}/import/", "/console/{slug}/export/invoices.csv", "/console/{slug}/export/payments.csv"]
)
def test_another_billers_people_get_nothing(client, acme, url):
    biller, _ = acme
    make_invoice(make_customer(biller, "Initech"))
    _, other_owner = make_biller("Globex Corporation")
    client.force_login(other_owner)
    assert client.get(url.format(slug=biller.slug)).status_code == 404
    response = client.post(url.format(slug=biller.slug), {"kind": "customers", "file": upload(CUSTOMERS)})
    assert response.status_code == 404
    assert Customer.objects.filter(biller=biller).count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, acme):
    biller, _ = acme
    response = client.get(f"/console/{biller.slug}/export/invoices.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/signin/?next=")
