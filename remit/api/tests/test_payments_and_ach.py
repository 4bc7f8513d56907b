"""Payments (with their allocations and status history), ACH files and returns, read through the
API; bank accounts only ever as ••••1234."""

import json

import pytest

from remit.ach.models import AchFile, AchReturn
from remit.api.actions import api_key_create
from remit.api.tests.conftest import ACCOUNT_NUMBER, KeyedBiller
from remit.payments.actions import payment_schedule
from remit.test import make_bank_account, make_biller, make_customer, make_invoice, make_portal_user, soonest_pay_on

pytestmark = pytest.mark.django_db


def test_payments_with_allocations_and_history(api, paid):
    listed = api.get("/api/v1/payments").json()["results"]
    assert [p["id"] for p in listed] == [paid.scheduled.pk, paid.returned.pk]
    body = api.get(f"/api/v1/payments/{paid.returned.pk}").json()
    assert body["status"] == "returned" and body["method"] == "ach" and body["amount_cents"] == 25000
    assert body["customer"] == paid.customer.pk and body["customer_name"] == "Globex Corporation"
    assert body["allocations"] == [
        {"invoice": paid.invoices[0].pk, "invoice_number": paid.invoices[0].number, "amount_cents": 25000}
    ]
    assert [(e["from_status"], e["to_status"]) for e in body["history"]] == [
        (None, "scheduled"),
        ("scheduled", "sent"),
        ("sent", "returned"),
    ]
    assert body["bank_account"] == {
        "id": paid.returned.bank_account_id,
        "account_type": "checking",
        "masked_number": "••••1012",
        "status": "active",
        "debits_from": paid.returned.bank_account.debits_from.isoformat(),
        # The tests' billers state that another service validated their customers' accounts.
        "validation": {"method": "service", "status": "validated"},
    }
    assert body["ach_entry"]["trace_number"] == paid.returned.ach_entry.trace_number
    assert api.get(f"/api/v1/payments/{paid.scheduled.pk}").json()["ach_entry"] is None


def test_payment_filters(api, paid):
    def ids(query):
        return [p["id"] for p in api.get(f"/api/v1/payments?{query}").json()["results"]]

    assert ids("status=scheduled") == [paid.scheduled.pk]
    assert ids("status=returned") == [paid.returned.pk]
    assert ids(f"customer={paid.customer.pk}&status=settled") == []
    assert api.get("/api/v1/payments?status=lost").status_code == 400


def test_ach_files_and_returns(api, paid):
    file = AchFile.objects.get()
    [listed] = api.get("/api/v1/ach/files").json()["results"]
    assert listed["filename"] == file.filename and listed["total_debit_cents"] == 25000 and "entries" not in listed
    detail = api.get(f"/api/v1/ach/files/{file.pk}").json()
    assert detail["entries"] == [
        {
            "payment": paid.returned.pk,
            "customer_name": "Globex Corporation",
            "batch_number": 1,
            "sec_code": paid.returned.ach_entry.sec_code,
            "trace_number": paid.returned.ach_entry.trace_number,
            "amount_cents": 25000,
        }
    ]
    returned = AchReturn.objects.get()
    [listed_return] = api.get("/api/v1/ach/returns").json()["results"]
    assert listed_return == api.get(f"/api/v1/ach/returns/{returned.pk}").json()
    assert listed_return["code"] == "R01" and listed_return["payment"] == paid.returned.pk
    assert listed_return["ach_file"] == file.pk and listed_return["return_file"] == "returns.ach"


def test_the_full_account_number_never_appears(api, paid):
    """Every GET endpoint, lists and each object, searched for the account number and its encryption."""
    from remit.payments.models import BankAccount

    account = BankAccount.objects.get()
    secrets = [ACCOUNT_NUMBER, account.account_number_encrypted, account.lookup_hash]
    urls = ["/api/v1/customers", "/api/v1/invoices", "/api/v1/payments", "/api/v1/ach/files", "/api/v1/ach/returns"]
    for url in list(urls):
        for item in api.get(url).json()["results"]:
            urls.append(f"{url}/{item['id']}")
    urls += [f"/api/v1/invoices/{invoice.pk}/pdf" for invoice in paid.invoices]
    seen = 0
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200, url
        content = response.content.decode("utf-8", errors="replace")
        for secret in secrets:
            assert secret not in content, f"{url} shows the account number"
        seen += content.count("••••1012") if "json" in response["Content-Type"] else 0
    assert seen >= 4  # both payments, in the list and on their own
    assert ACCOUNT_NUMBER not in json.dumps(api.get("/api/v1/openapi.json").json())


def test_a_payment_from_an_account_waiting_for_validation_says_so(db):
    biller, owner = make_biller("Initech Billing", validation="micro_entries")
    client = KeyedBiller(biller, owner, api_key_create(biller=biller, actor=owner, name="Tests").secret).client()
    customer = make_customer(biller, "Pat Doe", email="pat@example.com")
    account = make_bank_account(make_portal_user(customer, email="pat@example.com"))
    invoice = make_invoice(customer, amount_cents=12000)
    payment = payment_schedule(
        payer=account.added_by,
        invoice_ids=[invoice.pk],
        bank_account_id=account.pk,
        pay_on=soonest_pay_on(biller),
        total_cents=12000,
    )
    body = client.get(f"/api/v1/payments/{payment.pk}").json()
    assert body["bank_account"]["validation"] == {"method": "micro_entries", "status": "pending"}
    assert body["bank_account"]["debits_from"] is None
