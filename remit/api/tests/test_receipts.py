"""GET /api/v1/payments/{id}/receipt: the receipt's PDF, the biller's view (account masked); a
payment without a receipt, or another biller's, is a 404 problem."""

from __future__ import annotations

import pytest

from remit.payments.tests.test_receipts import pdf_text, sent_payment, settle
from remit.test import make_bank_account

pytestmark = pytest.mark.django_db


def test_the_receipt_of_a_settled_payment(world_api, world):
    account = make_bank_account(world.admin, private=True, number="444455556", holder_name="Pat Private")
    payment = sent_payment(world, account=account)
    missing = world_api.get(f"/api/v1/payments/{payment.pk}/receipt", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    assert "issued when the payment settles" in missing.json()["detail"]
    settle(payment)
    for accept in ("*/*", "application/pdf"):
        response = world_api.get(f"/api/v1/payments/{payment.pk}/receipt", HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'inline; filename="R-000001.pdf"'
        text = pdf_text(response.content)
        assert "R-000001" in text and "$250.00" in text and "••••5556" in text and "444455556" not in text
    assert world_api.get("/api/v1/payments/999999/receipt").status_code == 404
