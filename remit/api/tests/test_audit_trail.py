"""Every write through the API names, in the history it leaves, the key that made it — and the
console shows it where it shows those histories."""

import pytest
from django.db.models import RestrictedError
from rest_framework.test import APIClient

from remit.api.actions import api_key_create
from remit.customers.models import Customer, CustomerEvent
from remit.invoices.models import InvoiceEvent
from remit.payments.actions import payment_schedule
from remit.payments.models import PaymentEvent, PaymentStatus
from remit.test import make_bank_account, make_portal_user, soonest_pay_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def sync(acme):
    """A second key of Acme's: the history must name the key that wrote, not just any of the biller's."""
    issued = api_key_create(biller=acme.biller, actor=acme.owner, name="Accounting sync")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client, issued.api_key


def new_customer(client):
    body = {"name": "Globex", "billing_emails": ["ap@globex.example"]}
    response = client.post("/api/v1/customers", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def new_invoice(client, customer_id):
    body = {"customer": customer_id, "lines": [{"description": "Widgets", "unit_price_cents": 1999}]}
    response = client.post("/api/v1/invoices", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_each_customer_write_records_its_key(sync):
    client, key = sync
    customer_id = new_customer(client)
    assert client.patch(f"/api/v1/customers/{customer_id}", {"city": "Springfield"}, format="json").status_code == 200
    assert client.post(f"/api/v1/customers/{customer_id}/archive").status_code == 200
    assert client.post(f"/api/v1/customers/{customer_id}/restore").status_code == 200
    events = CustomerEvent.objects.filter(customer_id=customer_id).order_by("pk")
    assert [event.kind for event in events] == ["created", "updated", "archived", "restored"]
    assert all(event.api_key == key and event.actor is None for event in events)


def test_each_invoice_write_records_its_key(sync, acme):
    client, key = sync
    invoice_id = new_invoice(client, new_customer(client))
    assert client.post(f"/api/v1/invoices/{invoice_id}/send").status_code == 200
    void = client.post(f"/api/v1/invoices/{invoice_id}/void", {"reason": "Ordered twice"}, format="json")
    assert void.status_code == 200
    events = InvoiceEvent.objects.filter(invoice_id=invoice_id).order_by("pk")
    assert [event.kind for event in events] == ["created", "sent", "voided"]
    assert all(event.api_key == key and event.actor is None for event in events)


def test_payments_a_void_cancels_name_the_key_too(sync):
    client, key = sync
    customer_id = new_customer(client)
    invoice_id = new_invoice(client, customer_id)
    customer = Customer.objects.get(pk=customer_id)
    payment = payment_schedule(
        payer=make_portal_user(customer),
        invoice_ids=[invoice_id],
        bank_account_id=make_bank_account(customer.memberships.get().user).pk,
        pay_on=soonest_pay_on(customer.biller),
        total_cents=1999,
    )
    assert (
        client.post(f"/api/v1/invoices/{invoice_id}/void", {"reason": "Ordered twice"}, format="json").status_code
        == 200
    )
    cancelled = PaymentEvent.objects.get(payment=payment, to_status=PaymentStatus.CANCELLED)
    assert (cancelled.api_key, cancelled.actor) == (key, None)


def test_the_console_shows_which_key_wrote(sync, acme, client):
    api, key = sync
    customer_id = new_customer(api)
    invoice_id = new_invoice(api, customer_id)
    client.force_login(acme.owner)
    slug = acme.biller.slug
    shown = f"via API key Accounting sync ({key.prefix}…)"
    customer_page = client.get(f"/console/{slug}/customers/{customer_id}/").content.decode()
    assert f"Created {shown}" in customer_page
    invoice_page = client.get(f"/console/{slug}/invoices/{invoice_id}/").content.decode()
    assert f"Created {shown}" in invoice_page


def test_a_key_that_wrote_history_is_not_deleted(sync):
    client, key = sync
    new_customer(client)
    with pytest.raises(RestrictedError):
        key.delete()
    assert CustomerEvent.objects.get().api_key == key
