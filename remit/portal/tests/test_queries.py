from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from remit.invoices.models import Invoice
from remit.payments.actions import payment_record_offline, payment_schedule
from remit.test import (
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    portal_login,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db

PAGES = ["/acme-supply/", "/acme-supply/invoices/", "/acme-supply/pay-bills/"]


def count(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def schedule(user, account, invoices) -> None:
    payment_schedule(
        payer=user,
        invoice_ids=[invoice.pk for invoice in invoices],
        bank_account_id=account.pk,
        pay_on=soonest_pay_on(account.customer.biller),
        total_cents=sum(invoice.available_cents for invoice in invoices),
    )


def test_home_and_invoice_list_run_the_same_queries_at_10_and_1000_invoices(client):
    acme, _ = make_biller("Acme Supply Co.")
    customer = make_customer(acme, "Globex Corporation")
    user = make_portal_user(customer)
    account = make_bank_account(user)
    portal_login(client, user)
    for n in range(10):
        invoice = make_invoice(customer, amount_cents=1000 + n)
        if n % 3 == 0:
            payment_record_offline(
                invoice=invoice, actor=None, amount_cents=500, method="check", received_on=date(2026, 11, 1)
            )
    schedule(user, account, Invoice.objects.filter(customer=customer).order_by("pk")[:2])
    ten = [count(client, path) for path in PAGES]
    Invoice.objects.bulk_create(
        Invoice(
            biller=acme,
            customer=customer,
            number=f"BULK-{n}",
            issue_date=date(2026, 1, 1) + timedelta(days=n % 300),
            due_date=date(2026, 2, 1) + timedelta(days=n % 300),
            subtotal_cents=1000,
            total_cents=1000,
        )
        for n in range(990)
    )
    # Scheduled payments on the invoices both pages show (their amounts and Pay On dates are listed).
    bulk = Invoice.objects.filter(customer=customer, number__startswith="BULK-")
    schedule(user, account, [*bulk.order_by("due_date", "pk")[:20], *bulk.order_by("-issue_date", "-pk")[:40]])
    assert [count(client, path) for path in PAGES] == ten
