"""Idempotency-Key: a retry returns the first response and creates nothing; a different request
with the same key is refused; a duplicate sent at the same moment waits and replays."""

import threading
from typing import Any

import pytest
import requests

from remit.api.models import IdempotencyRecord
from remit.api.tests.conftest import keyed_biller
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceSend
from remit.test import make_customer, make_invoice

pytestmark = pytest.mark.django_db

GLOBEX = {"name": "Globex", "billing_emails": ["ap@globex.example"]}


def test_a_retry_returns_the_first_response_and_creates_nothing(api):
    first = api.post("/api/v1/customers", GLOBEX, format="json", HTTP_IDEMPOTENCY_KEY="create-globex-1")
    again = api.post("/api/v1/customers", GLOBEX, format="json", HTTP_IDEMPOTENCY_KEY="create-globex-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert "Idempotent-Replayed" not in first and again["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.request_method, record.request_path, record.response_status) == ("POST", "/api/v1/customers", 201)


def test_the_same_key_with_another_body_is_refused(api):
    api.post("/api/v1/customers", GLOBEX, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = api.post("/api/v1/customers", {**GLOBEX, "name": "Initech"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/api/v1/problems/idempotency-key-reused")
    assert "first used for POST /api/v1/customers with a different body" in body["detail"]
    assert list(Customer.objects.values_list("name", flat=True)) == ["Globex"]


def test_the_same_key_on_another_endpoint_is_refused(api, acme):
    invoice = make_invoice(make_customer(acme.biller))
    api.post("/api/v1/customers", GLOBEX, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = api.post(f"/api/v1/invoices/{invoice.pk}/send", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert not InvoiceSend.objects.exists()


def test_sending_twice_with_one_key_sends_once(api, acme, mailbox, run_on_commit):
    invoice = make_invoice(make_customer(acme.biller))
    with run_on_commit(execute=True):
        first = api.post(f"/api/v1/invoices/{invoice.pk}/send", HTTP_IDEMPOTENCY_KEY="send-1")
    with run_on_commit(execute=True):
        again = api.post(f"/api/v1/invoices/{invoice.pk}/send", HTTP_IDEMPOTENCY_KEY="send-1")
    assert first.json() == again.json()
    assert InvoiceSend.objects.count() == 1 and len(mailbox()) == 1


def test_a_failed_request_is_not_remembered(api):
    bad = api.post("/api/v1/customers", {"name": "Globex"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    good = api.post("/api/v1/customers", GLOBEX, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201


def test_keys_belong_to_one_api_key(api, acme):
    other = keyed_biller("Initech").client()
    assert api.post("/api/v1/customers", GLOBEX, format="json", HTTP_IDEMPOTENCY_KEY="k-4").status_code == 201
    assert other.post("/api/v1/customers", GLOBEX, format="json", HTTP_IDEMPOTENCY_KEY="k-4").status_code == 201
    assert Customer.objects.count() == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "café"])
def test_a_malformed_key_is_a_validation_problem(api, key):
    response = api.post("/api/v1/customers", GLOBEX, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not Customer.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_duplicates_sent_at_the_same_moment_create_one_invoice(live_server, settings):
    """Real concurrency: four threads, one key, one body, through the live server."""
    keyed = keyed_biller("Acme Supply Co.")
    customer = make_customer(keyed.biller)
    body: dict[str, Any] = {"customer": customer.pk, "lines": [{"description": "Widgets", "unit_price_cents": 5000}]}
    headers = {"Authorization": f"Bearer {keyed.secret}", "Idempotency-Key": "invoice-race"}
    barrier = threading.Barrier(4)
    answers: list[requests.Response] = []

    def post():
        barrier.wait()
        answers.append(requests.post(f"{live_server.url}/api/v1/invoices", json=body, headers=headers, timeout=60))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201] * 4, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 3
    assert Invoice.objects.count() == 1
