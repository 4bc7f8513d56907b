"""Settings → Account validation: owners choose how new accounts are validated; the choice in force
and every earlier one are listed; staff look; another biller's owner gets nothing."""

from __future__ import annotations

import pytest

from remit.payments.models import ValidationChoice
from remit.test import make_biller, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_biller("Acme Supply Co.", validation="")


def url(biller):
    return f"/console/{biller.slug}/settings/account-validation/"


def test_the_owner_chooses_a_statement_and_the_page_lists_it_with_who_and_when(client, acme):
    biller, owner = acme
    client.force_login(owner)
    html = client.get(url(biller)).content.decode()
    assert "Account validation" in html and "new accounts are validated by <strong>micro-entries</strong>" in html
    response = client.post(url(biller), {"method": "service", "statement": "Plaid Auth checks every account."})
    assert response.status_code == 302
    choice = ValidationChoice.objects.get(biller=biller)
    assert (choice.method, choice.chosen_by, choice.statement) == ("service", owner, "Plaid Auth checks every account.")
    html = client.get(url(biller)).content.decode()
    assert "Validated by the bank or another service</strong>, chosen" in html and owner.email in html
    assert "Plaid Auth checks every account." in html


def test_a_statement_left_empty_is_refused_at_its_field_and_nothing_is_saved(client, acme):
    biller, owner = acme
    client.force_login(owner)
    html = client.post(url(biller), {"method": "service", "statement": ""}).content.decode()
    assert "Say how your bank or service validates each account" in html
    assert not ValidationChoice.objects.exists()


def test_staff_see_the_choice_but_cannot_change_it(client, acme):
    biller, _ = acme
    client.force_login(make_staff(biller))
    assert "Only an owner can change these settings." in client.get(url(biller)).content.decode()
    assert client.post(url(biller), {"method": "prenote"}).status_code == 403
    assert not ValidationChoice.objects.exists()


def test_another_billers_owner_gets_nothing(client, acme):
    biller, _ = acme
    _, stranger = make_biller("Other Co.")
    client.force_login(stranger)
    assert client.get(url(biller)).status_code == 404
    assert client.post(url(biller), {"method": "prenote"}).status_code == 404
