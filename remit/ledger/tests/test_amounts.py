"""balance, available and status are defined once in amounts.py, in Python and in SQL: they must agree."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from remit.invoices.models import Invoice
from remit.ledger.amounts import available_sql, balance_sql, status_filter, status_sql
from remit.ledger.status import InvoiceStatus
from remit.test import make_biller, make_customer, make_invoice

TODAY = date(2026, 11, 26)


class TestPythonAndSqlAgree(HypothesisTestCase):
    @settings(max_examples=60, deadline=None)
    @given(
        total=st.integers(min_value=0, max_value=100_000),
        credited_part=st.floats(min_value=0, max_value=1),
        paid_part=st.floats(min_value=0, max_value=1),
        pending_part=st.floats(min_value=0, max_value=1),
        due_offset=st.integers(min_value=-40, max_value=40),
        voided=st.booleans(),
    )
    def test_every_combination(self, total, credited_part, paid_part, pending_part, due_offset, voided):
        biller, _ = make_biller()
        invoice = make_invoice(make_customer(biller), amount_cents=max(total, 0), issue_date=TODAY - timedelta(days=60))
        credited = int(total * credited_part)
        paid = int((total - credited) * paid_part)
        pending = int((total - credited - paid) * pending_part)
        Invoice.objects.filter(pk=invoice.pk).update(
            credited_cents=credited,
            paid_cents=paid,
            pending_cents=0 if voided else pending,
            due_date=TODAY + timedelta(days=due_offset),
            voided_at=timezone.now() if voided else None,
        )
        row = Invoice.objects.annotate(b=balance_sql(), a=available_sql(), s=status_sql(TODAY)).get(pk=invoice.pk)
        assert row.b == row.balance_cents
        assert row.a == row.available_cents
        assert row.s == row.status_on(TODAY)
        for status in [*InvoiceStatus.values, "outstanding"]:
            matches = Invoice.objects.filter(status_filter(status, TODAY), pk=invoice.pk).exists()
            expected = row.s == status or (status == "outstanding" and row.s not in {"paid", "void"})
            assert matches == expected, status


@pytest.mark.django_db
def test_the_statuses():
    biller, _ = make_biller()
    customer = make_customer(biller)
    invoice = make_invoice(customer, amount_cents=10000, issue_date=TODAY)
    assert invoice.status_on(TODAY) == InvoiceStatus.OPEN
    assert invoice.status_on(invoice.due_date + timedelta(days=1)) == InvoiceStatus.OVERDUE
    invoice.paid_cents = 4000
    assert invoice.status_on(TODAY) == InvoiceStatus.PARTIALLY_PAID
    assert (invoice.balance_cents, invoice.available_cents) == (6000, 6000)
    invoice.pending_cents = 6000
    assert (invoice.balance_cents, invoice.available_cents) == (6000, 0)
    invoice.paid_cents, invoice.pending_cents = 10000, 0
    assert invoice.status_on(TODAY) == InvoiceStatus.PAID


@pytest.mark.django_db
def test_credits_count_towards_the_balance_and_the_status_but_not_as_paid():
    biller, _ = make_biller()
    invoice = make_invoice(make_customer(biller), amount_cents=10000, issue_date=TODAY)
    invoice.credited_cents = 2500
    assert invoice.status_on(TODAY) == InvoiceStatus.PARTIALLY_PAID
    assert (invoice.balance_cents, invoice.available_cents, invoice.paid_cents) == (7500, 7500, 0)
    invoice.pending_cents = 7500
    assert (invoice.balance_cents, invoice.available_cents) == (7500, 0)
    invoice.paid_cents, invoice.pending_cents = 7500, 0
    assert invoice.status_on(TODAY) == InvoiceStatus.PAID
    invoice.paid_cents, invoice.credited_cents = 0, 10000
    assert invoice.status_on(TODAY) == InvoiceStatus.PAID
