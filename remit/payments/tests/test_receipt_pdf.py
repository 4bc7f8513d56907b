"""The receipt's PDF, read back as text: what it says, a withdrawn one stamped, any script printed."""

from __future__ import annotations

import pytest
from django.db import transaction

from remit.customers.models import Customer
from remit.payments.actions import Return, payments_return_many
from remit.payments.receipt_pdf import receipt_pdf
from remit.payments.receipts import receipt_of_payment
from remit.payments.tests.test_receipts import pdf_text, sent_payment, settle
from remit.test import make_bank_account

pytestmark = pytest.mark.django_db


def receipt_for(payment):
    receipt = receipt_of_payment(payment)
    assert receipt is not None
    return receipt


def test_the_pdf_names_the_receipt_the_money_the_account_masked_and_the_invoices(world):
    account = make_bank_account(world.admin, number="987654321", holder_name="Globex Ops")
    payment = sent_payment(
        world,
        world.invoice(amount_cents=12000, number="INV-7"),
        world.invoice(amount_cents=3050, number="INV-8"),
        account=account,
    )
    settle(payment)
    receipt = receipt_for(payment)
    text = pdf_text(receipt_pdf(receipt, viewer=world.admin))
    for said in ("RECEIPT", "R-000001", "$150.50", "$120.00", "$30.50", "INV-7", "INV-8", "Globex Corporation"):
        assert said in text
    assert "November 5, 2026" in text and "Globex Ops, Checking ••••4321" in text
    assert "987654321" not in text and "WITHDRAWN" not in text
    # The biller reads the masked details too; someone else only whose account it is when private.
    assert "••••4321" in pdf_text(receipt_pdf(receipt, viewer=None))


def test_a_withdrawn_receipt_is_stamped_with_when_and_the_return_code(world):
    payment = sent_payment(world)
    settle(payment)
    with transaction.atomic():
        payments_return_many([Return(payment_id=payment.pk, code="R10", note="R10")])
    text = pdf_text(receipt_pdf(receipt_for(payment), viewer=world.admin))
    assert "WITHDRAWN" in text and "R10" in text and "returned by the" in text


def test_a_name_outside_western_scripts_prints_in_the_bundled_font(world):
    Customer.objects.filter(pk=world.customer.pk).update(name="Ελληνική Εταιρεία")
    payment = sent_payment(world)
    settle(payment)
    text = pdf_text(receipt_pdf(receipt_for(payment), viewer=world.admin))
    assert "Ελληνική Εταιρεία" in text and "R-000001" in text
