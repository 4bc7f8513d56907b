"""Two applications of the same credit at the same instant, each from its own connection: the credit
row's lock makes the second wait and see what the first applied, so together they never apply more
than the credit (PostgreSQL: SQLite serialises every write anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from remit.payments.credits import CreditError, credit_apply, credit_issue
from remit.payments.models import Credit, CreditApplication
from remit.test import make_biller, make_customer, make_invoice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs row locks (PostgreSQL)")
def test_two_applications_of_one_credit_at_once_never_exceed_it():
    biller, owner = make_biller("Acme Supply Co.")
    customer = make_customer(biller)
    credit = credit_issue(biller=biller, customer=customer, amount_cents=7000, reason="Goodwill", actor=owner)
    invoices = [make_invoice(customer, amount_cents=10000) for _ in range(2)]
    start = threading.Barrier(2)
    results: list[str] = []

    def apply(invoice_id: int) -> None:
        try:
            start.wait()
            credit_apply(
                credit=Credit.objects.get(pk=credit.pk),
                invoice=invoices[0].__class__.objects.get(pk=invoice_id),
                amount_cents=5000,
                actor=None,
            )
            results.append("applied")
        except CreditError as error:
            results.append(f"refused: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=apply, args=(invoice.pk,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["applied", "refused: That is more than the $20.00 left of credit CN-000001."]
    credit.refresh_from_db()
    assert credit.applied_cents == 5000 == sum(CreditApplication.objects.values_list("amount_cents", flat=True))
    assert connection.vendor == "postgresql"
