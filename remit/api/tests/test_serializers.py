"""Serializers whose representation is written out by hand (for speed) still give exactly what their
declared fields give, which is what the OpenAPI document describes."""

from decimal import Decimal

import pytest
from rest_framework import serializers

from remit.api.serializers import InvoiceSerializer
from remit.invoices.actions import invoice_send, invoice_void
from remit.invoices.models import Invoice
from remit.invoices.totals import Line
from remit.test import make_biller, make_customer, make_invoice

pytestmark = pytest.mark.django_db


def _field_by_field(invoice: Invoice) -> dict:
    serializer = InvoiceSerializer(invoice)
    return serializers.ModelSerializer.to_representation(serializer, invoice)


def test_the_invoice_written_out_equals_its_fields(mailoutbox):
    biller, _ = make_biller("Acme Supply Co.")
    customer = make_customer(biller, "Globex")
    lines = [Line("Widgets", Decimal("2.5"), 1999), Line("Crate, “fragile”", Decimal(1), 500)]
    invoice = make_invoice(customer, lines=lines)
    invoice_send(invoice=invoice, actor=None)
    invoice_send(invoice=invoice, actor=None)
    voided = invoice_void(invoice=make_invoice(customer), actor=None, reason="Sent twice")
    for one in (
        Invoice.objects.filter(pk__in=[invoice.pk, voided.pk])
        .select_related("customer")
        .prefetch_related("lines", "sends")
    ):
        written = InvoiceSerializer(one).data
        assert written == _field_by_field(one)
        assert list(written) == InvoiceSerializer.Meta.fields
    many = InvoiceSerializer(Invoice.objects.filter(biller=biller).prefetch_related("lines", "sends"), many=True).data
    assert [dict(one) for one in many] == [_field_by_field(one) for one in Invoice.objects.filter(biller=biller)]
    assert many[1]["lines"][0]["quantity"] == "2.500" and len(many[1]["sends"]) == 2
    assert many[0]["voided_at"] and many[0]["void_reason"] == "Sent twice"
