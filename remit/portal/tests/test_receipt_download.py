"""Download receipt on the portal's payment page: the payment's people get its PDF (a colleague's
private account only as whose it is), anyone else a 404; a withdrawn receipt is marked and stamped."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from remit.payments.actions import Return, payments_return_many
from remit.payments.models import Payment
from remit.payments.tests.test_receipts import pdf_text, sent_payment, settle
from remit.test import make_bank_account, make_biller, make_customer, make_portal_user, portal_login

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    portal_login(client, user)
    return client


@pytest.fixture
def settled(world):
    account = make_bank_account(world.admin, private=True, number="444455556", holder_name="Pat Private")
    payment = sent_payment(world, account=account)
    settle(payment)
    return payment


def receipt_url(payment: Payment, slug: str = "acme-supply") -> str:
    return f"/{slug}/payments/{payment.pk}/receipt.pdf"


def test_the_payment_page_offers_the_receipt_and_the_payer_downloads_it(world, settled):
    client = signed_in(world.admin)
    page = client.get(f"/acme-supply/payments/{settled.pk}/").content.decode()
    assert "Download receipt" in page and "R-000001" in page and receipt_url(settled) in page
    response = client.get(receipt_url(settled))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="R-000001.pdf"'
    text = pdf_text(response.content)
    assert "R-000001" in text and "$250.00" in text and "Pat Private, Checking ••••5556" in text


def test_a_colleague_gets_the_receipt_without_the_private_accounts_details(world, settled):
    response = signed_in(world.member).get(receipt_url(settled))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "R-000001" in text and "a private account of" in text
    assert "5556" not in text and "Pat Private" not in text


def test_outsiders_get_404(world, settled):
    assert signed_in(world.outsider).get(receipt_url(settled)).status_code == 404  # another customer
    other_biller, _ = make_biller("Umbrella Corp")
    stranger = make_portal_user(make_customer(other_biller, "Stranger Ltd", email="s@stranger.example"))
    assert signed_in(stranger).get(receipt_url(settled, "umbrella-corp")).status_code == 404  # another biller
    assert Client().get(receipt_url(settled)).status_code == 302  # signed out: sign in first


def test_a_payment_not_settled_has_no_receipt_to_download(world):
    payment = sent_payment(world)  # sent: it can still bounce
    client = signed_in(world.admin)
    assert "Download receipt" not in client.get(f"/acme-supply/payments/{payment.pk}/").content.decode()
    assert client.get(receipt_url(payment)).status_code == 404


def test_a_withdrawn_receipt_is_marked_and_its_download_stamped(world, settled):
    with transaction.atomic():
        payments_return_many([Return(payment_id=settled.pk, code="R01", note="R01 Insufficient funds")])
    client = signed_in(world.admin)
    page = client.get(f"/acme-supply/payments/{settled.pk}/").content.decode()
    assert "Receipt R-000001 was withdrawn" in page and "Withdrawn</span>" in page and "Download receipt" in page
    assert "WITHDRAWN" in pdf_text(client.get(receipt_url(settled)).content)
