"""The portal's side of account validation: the account shows "Verification pending" with the earliest
date a debit can go, then **Verify account** once the small deposits were sent; the page asks for
**Amount 1** and **Amount 2** and says exactly what is wrong; another customer gets a 404."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from remit.payments.models import AccountValidation, ValidationStatus
from remit.payments.validation import validation_sent
from remit.test import make_bank_account, make_biller, make_customer, make_portal_user, portal_login

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


@pytest.fixture
def jo():
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=NY), tick=False) as clock:
        biller, _ = make_biller("Acme Supply Co.", validation="micro_entries")
        customer = make_customer(biller, "Jo Smith", email="jo@example.com")
        user = make_portal_user(customer, email="jo@example.com")
        account = make_bank_account(user, number="55501234")
        client = Client()
        portal_login(client, user)
        yield {"biller": biller, "user": user, "account": account, "client": client, "clock": clock}


def list_html(jo):
    return jo["client"].get(f"/{jo['biller'].slug}/bank-accounts/").content.decode()


def verify_url(jo):
    return f"/{jo['biller'].slug}/bank-accounts/{jo['account'].pk}/verify/"


def send(jo):
    validation = AccountValidation.objects.get(bank_account=jo["account"])
    with transaction.atomic():
        validation_sent([validation.pk], effective_date=datetime(2026, 12, 8).date())
    jo["clock"].move_to(datetime(2026, 12, 8, 9, 0, tzinfo=NY))
    portal_login(jo["client"], jo["user"])  # a day later: signed in again
    validation.refresh_from_db()
    return validation


def test_a_new_account_shows_verification_pending_and_the_earliest_debit_date(jo):
    html = list_html(jo)
    assert "Verification pending" in html and "Wed, Dec 9, 2026 at the earliest" in html
    assert "Verify account" not in html  # nothing to type before the deposits are sent


def test_the_customer_types_the_two_amounts_and_the_account_is_verified(jo):
    validation = send(jo)
    assert "Verify account" in list_html(jo)
    page = jo["client"].get(verify_url(jo)).content.decode()
    assert "Amount 1" in page and "Amount 2" in page and ">Verify</button>" in page
    response = jo["client"].post(
        verify_url(jo),
        {"amount_1": f"0.{validation.amount_1_cents:02d}", "amount_2": f"0.{validation.amount_2_cents:02d}"},
        follow=True,
    )
    html = response.content.decode()
    assert "is verified" in html and "Verified" in html and "Verification pending" not in html
    assert AccountValidation.objects.get(pk=validation.pk).status == ValidationStatus.VALIDATED


def test_wrong_amounts_say_so_and_how_many_tries_are_left(jo):
    validation = send(jo)
    wrong = f"0.{validation.amount_1_cents % 99 + 1:02d}"
    html = jo["client"].post(verify_url(jo), {"amount_1": wrong, "amount_2": "0.00"}).content.decode()
    assert "Each small deposit is between $0.01 and $0.99." in html
    html = (
        jo["client"]
        .post(verify_url(jo), {"amount_1": wrong, "amount_2": f"0.{validation.amount_2_cents:02d}"})
        .content.decode()
    )
    assert "don&#x27;t match the two small deposits. You have 2 attempts left." in html
    assert AccountValidation.objects.get(pk=validation.pk).attempts == 1


def test_another_customer_cannot_see_or_verify_the_account(jo):
    validation = send(jo)
    other = make_portal_user(make_customer(jo["biller"], "Initech", email="ap@initech.example"))
    client = Client()
    portal_login(client, other)
    assert client.get(verify_url(jo)).status_code == 404
    response = client.post(verify_url(jo), {"amount_1": "0.01", "amount_2": "0.02"})
    assert response.status_code == 404
    assert AccountValidation.objects.get(pk=validation.pk).attempts == 0


def test_expired_deposits_offer_new_ones(jo):
    validation = send(jo)
    jo["clock"].move_to(datetime(2026, 12, 19, 9, 0, tzinfo=NY))
    portal_login(jo["client"], jo["user"])
    page = jo["client"].get(verify_url(jo)).content.decode()
    assert "Send new deposits" in page
    html = jo["client"].post(verify_url(jo), {"amount_1": "0.01", "amount_2": "0.02"}).content.decode()
    assert "The small deposits expired on Dec 18, 2026. Ask for new ones below." in html
    response = jo["client"].post(f"/{jo['biller'].slug}/bank-accounts/{jo['account'].pk}/new-deposits/", follow=True)
    assert "Two new small deposits go to Checking ••••1234 in Acme Supply Co.&#x27;s next file." in (
        response.content.decode()
    )
    validation.refresh_from_db()
    assert validation.sent_on is None and validation.attempts == 0
