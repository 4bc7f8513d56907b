"""A key reaches only its own biller: every operation of the OpenAPI document is walked with
another biller's key and Acme's ids, and must answer 404 and change nothing."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from remit.api.tests.conftest import keyed_biller
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceEvent
from remit.notifications.models import OutboundEmail
from remit.payments.models import Payment

pytestmark = pytest.mark.django_db

BODIES = {"patch": {"name": "Hacked"}, "post": {"reason": "Hacked"}}


def operations():
    """(method, path template) of every operation in the API's OpenAPI document."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [(method, path) for path, item in schema["paths"].items() for method in item]


def acme_ids(paid):
    from remit.ach.models import AchReturn
    from remit.payments.credits import credit_issue
    from remit.payments.models import Credit

    returned = AchReturn.objects.get()
    customer = paid.customer
    credit = Credit.objects.filter(customer=customer).first() or credit_issue(
        biller=customer.biller, customer=customer, amount_cents=100, reason="Goodwill", actor=None
    )
    return {
        "/api/v1/credits/": credit.pk,
        "/api/v1/customers/": paid.customer.pk,
        "/api/v1/invoices/": paid.invoices[0].pk,
        "/api/v1/payments/{id}/receipt": received_with_receipt(paid).pk,
        "/api/v1/payments/": paid.scheduled.pk,
        "/api/v1/ach/files/": returned.entry.file_id,
        "/api/v1/ach/returns/": returned.pk,
        "/api/v1/recurring-invoices/": acme_recurring(paid).pk,
    }


def acme_recurring(paid):
    """A recurring invoice of Acme's customer (made once, found again by later walks)."""
    from remit.recurring.actions import recurring_create
    from remit.recurring.models import RecurringInvoice
    from remit.recurring.tests.helpers import fields

    found = RecurringInvoice.objects.filter(customer=paid.customer).first()
    start = paid.customer.biller.today()
    return found or recurring_create(
        biller=paid.customer.biller, actor=None, fields=fields(paid.customer, start_on=start)
    )


def received_with_receipt(paid):
    """A payment with a receipt: money Acme recorded as received (once, however often asked)."""
    from django.db import transaction
    from django.utils import timezone

    from remit.payments.actions import payment_record_offline

    found = Payment.objects.filter(customer=paid.customer, method="check").first()
    if found is not None:
        return found
    with transaction.atomic():
        return payment_record_offline(
            invoice=paid.invoices[0], actor=None, amount_cents=100, method="check", received_on=timezone.localdate()
        )


def filled(path, ids):
    for prefix, pk in ids.items():
        if path.startswith(prefix):
            return path.replace("{id}", str(pk))
    raise AssertionError(f"No Acme object for {path}: add one to acme_ids.")


def test_another_billers_key_gets_404_on_every_operation_with_an_id(acme, paid, mailbox):
    other = keyed_biller("Globex Corporation").client()
    walked = []
    for method, path in operations():
        if "{id}" not in path:
            continue
        url = filled(path, acme_ids(paid))
        response = getattr(other, method)(url, BODIES.get(method), format="json")
        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
        assert response["Content-Type"] == "application/problem+json"
        assert b"Globex Corporation" not in response.content and b"INV-" not in response.content
        walked.append(f"{method.upper()} {path}")
    assert len(walked) >= 11, walked
    assert Customer.objects.get(pk=paid.customer.pk).name == "Globex Corporation"
    assert not Customer.objects.filter(archived_at__isnull=False).exists()
    assert not Invoice.objects.filter(voided_at__isnull=False).exists()
    assert not InvoiceEvent.objects.filter(kind__in=["sent", "voided"]).exists()
    assert not OutboundEmail.objects.filter(subject__contains="Invoice INV").exists()


def test_the_same_urls_answer_acmes_own_key(acme, api, paid):
    for method, path in operations():
        if "{id}" in path and method == "get":
            url = filled(path, acme_ids(paid))
            assert api.get(url).status_code == 200, url


def test_lists_show_another_biller_nothing(acme, paid):
    other = keyed_biller("Globex Corporation").client()
    for method, path in operations():
        if "{id}" not in path and method == "get":
            body = other.get(path).json()
            assert body["results"] == [], path
    assert other.get(f"/api/v1/invoices?customer={paid.customer.pk}").json()["results"] == []
    assert other.get(f"/api/v1/payments?customer={paid.customer.pk}").json()["results"] == []


def test_an_invoice_cannot_be_made_for_another_billers_customer(acme, paid):
    other = keyed_biller("Globex Corporation").client()
    body = {"customer": paid.customer.pk, "lines": [{"description": "Widgets", "unit_price_cents": 100}]}
    response = other.post("/api/v1/invoices", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"customer": ["There is no customer with this id."]}
    assert Invoice.objects.count() == 2 and Payment.objects.count() == 2
