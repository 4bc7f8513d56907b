"""The biller's side of receipts: the payments list links each receipt, and its PDF names the bank
account masked (even a private one: it is the biller's customer's authorization)."""

from __future__ import annotations

import pytest
from django.db import transaction

from remit.payments.actions import Return, payments_return_many
from remit.payments.tests.test_receipts import pdf_text, sent_payment, settle
from remit.test import make_bank_account, make_staff

pytestmark = pytest.mark.django_db


def test_the_payments_list_links_the_receipt_and_its_pdf_shows_the_masked_account(client, world):
    account = make_bank_account(world.admin, private=True, number="444455556", holder_name="Pat Private")
    payment = sent_payment(world, account=account)
    settle(payment)
    client.force_login(make_staff(world.biller))
    page = client.get("/console/acme-supply/payments/").content.decode()
    url = f"/console/acme-supply/payments/{payment.pk}/receipt.pdf"
    assert url in page and "Receipt R-000001" in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "R-000001" in text and "Pat Private, Checking ••••5556" in text and "444455556" not in text


def test_a_withdrawn_receipt_is_marked_in_the_list(client, world):
    payment = sent_payment(world)
    settle(payment)
    with transaction.atomic():
        payments_return_many([Return(payment_id=payment.pk, code="R02", note="R02")])
    client.force_login(world.owner)
    assert "Withdrawn</span>" in client.get("/console/acme-supply/payments/").content.decode()
    assert "WITHDRAWN" in pdf_text(client.get(f"/console/acme-supply/payments/{payment.pk}/receipt.pdf").content)


def test_a_payment_without_a_receipt_is_404(client, world):
    payment = sent_payment(world)
    client.force_login(world.owner)
    assert client.get(f"/console/acme-supply/payments/{payment.pk}/receipt.pdf").status_code == 404
