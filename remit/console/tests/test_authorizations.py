"""The biller's ACH authorization records in the console: the list (newest first, 50 a page, search by
customer), the CSV with the exact terms accepted, and nothing for anyone outside the biller's team."""

import csv
import io

import pytest
from django.utils import timezone

from remit.customers.models import CustomerMembership
from remit.payments.bank_accounts import bank_account_add, bank_account_remove
from remit.payments.models import AchAuthorization
from remit.test import make_biller, make_customer, make_portal_user, make_staff

pytestmark = pytest.mark.django_db

PAGE = "/console/acme-supply/authorizations/"
CSV = "/console/acme-supply/authorizations.csv"


def add(user, number="123456789", **changes):
    values = {
        "holder_name": "Globex Corporation",
        "routing_number": "011000015",
        "account_number": number,
        "account_number_confirm": number,
        "account_type": "checking",
        "is_private": False,
        "accepted_terms": True,
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (console test)",
        **changes,
    }
    membership = CustomerMembership.objects.select_related("customer").get(user=user)
    return bank_account_add(membership=membership, **values)


@pytest.fixture
def acme():
    biller, owner = make_biller("Acme Supply Co.")
    globex = make_customer(biller, "Globex Corporation", email="ap@globex.example")
    initech = make_customer(biller, "Initech", email="pat@initech.example")
    return biller, owner, make_portal_user(globex), make_portal_user(initech)


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_the_owner_sees_every_authorization_newest_first(client, acme):
    _, owner, globex_admin, initech_admin = acme
    first = add(globex_admin)
    add(initech_admin, number="5555", holder_name="Initech")
    bank_account_remove(
        membership=CustomerMembership.objects.get(user=globex_admin), bank_account=first, actor=globex_admin
    )
    client.force_login(owner)
    page = client.get(PAGE).content.decode()
    assert page.index("Initech") < page.index("Globex Corporation")
    record = AchAuthorization.objects.get(bank_account=first)
    for shown in ["ap@globex.example", "••••6789", "011000015", record.terms_version, record.terms_sha256]:
        assert shown in page
    assert "203.0.113.7" in page and "Mozilla/5.0 (console test)" in page and "Business" in page
    assert "••••5555" in page and ">Active<" in page


def test_the_list_is_searched_by_customer_name(client, acme):
    _, owner, globex_admin, initech_admin = acme
    add(globex_admin)
    add(initech_admin, number="5555")
    client.force_login(owner)
    page = client.get(PAGE, {"q": "glob"}).content.decode()
    assert "••••6789" in page and "••••5555" not in page
    assert "No authorization for a customer matching" in client.get(PAGE, {"q": "nobody"}).content.decode()


def test_fifty_to_a_page(client, acme):
    _, owner, globex_admin, _ = acme
    for number in range(51):
        add(globex_admin, number=f"{10_000 + number}")
    client.force_login(owner)
    first = client.get(PAGE).content.decode()
    assert "Page 1 of 2" in first and "••••0050" in first and "••••0000" not in first
    assert "••••0000" in client.get(PAGE, {"page": 2}).content.decode()


def test_the_csv_has_every_column_and_the_exact_terms(client, acme):
    _, owner, globex_admin, initech_admin = acme
    account = add(globex_admin)
    add(initech_admin, number="5555")
    client.force_login(owner)
    response = client.get(CSV, {"q": "Globex"})
    assert response["Content-Disposition"].startswith('attachment; filename="acme-supply-ach-authorizations-')
    header, row = read_csv(response)
    record = AchAuthorization.objects.get(bank_account=account)
    assert dict(zip(header, row, strict=True)) | {"Accepted at": "", "Validated at": ""} == {
        "Customer": "Globex Corporation",
        "Customer account type": "Business",
        "Accepted by": "ap@globex.example",
        "Email": "ap@globex.example",
        "Bank account": "••••6789",
        "Routing number": "011000015",
        "Name on the account": "Globex Corporation",
        "Terms version": record.terms_version,
        "Terms SHA-256": record.terms_sha256,
        "Accepted at": "",
        "IP address": "203.0.113.7",
        "User agent": "Mozilla/5.0 (console test)",
        "Ended at": "",
        "Validation method": "Validated by the bank or another service",
        "Validation status": "Verified",
        "Validated at": "",
        "Validation record": f"Validated by the bank or another service: statement of {timezone.localdate():%Y-%m-%d} "
        f"by {owner.email}",
        "Terms text": record.terms_text,
    }
    assert len(read_csv(client.get(CSV))) == 3


def test_staff_may_look_too(client, acme):
    biller, _, globex_admin, _ = acme
    add(globex_admin)
    client.force_login(make_staff(biller))
    assert "••••6789" in client.get(PAGE).content.decode()
    assert client.get(CSV).status_code == 200


def test_another_billers_owner_gets_404(client, acme):
    _, _, globex_admin, _ = acme
    add(globex_admin)
    other, other_owner = make_biller("Umbrella Corp")
    client.force_login(other_owner)
    for url in (PAGE, CSV):
        response = client.get(url)
        assert response.status_code == 404
        assert b"6789" not in response.content and b"Globex" not in response.content
    own = client.get(f"/console/{other.slug}/authorizations.csv")
    assert len(read_csv(own)) == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, acme):
    for url in (PAGE, CSV):
        assert client.get(url)["Location"].startswith("/console/signin/")


def test_an_owner_unlocks_a_locked_verification_from_the_list_and_staff_see_no_button(client):
    from remit.payments.models import AccountValidation, ValidationStatus

    biller, owner = make_biller("Acme Supply Co.", validation="micro_entries")
    pat = make_portal_user(make_customer(biller, "Initech", email="pat@initech.example"))
    account = add(pat)
    AccountValidation.objects.filter(bank_account=account).update(status=ValidationStatus.LOCKED, attempts=3)
    validation = AccountValidation.objects.get(bank_account=account)
    staff = make_staff(biller)
    client.force_login(staff)
    assert "Unlock and send new deposits" not in client.get(PAGE).content.decode()
    unlock = f"/console/acme-supply/authorizations/validations/{validation.pk}/unlock"
    assert client.post(unlock).status_code == 403
    assert AccountValidation.objects.get(pk=validation.pk).status == ValidationStatus.LOCKED  # refused
    client.force_login(owner)
    assert "Unlock and send new deposits" in client.get(PAGE).content.decode()
    page = client.post(unlock, follow=True).content.decode()
    assert "two new small deposits go in your next ACH file" in page
    validation.refresh_from_db()
    assert (validation.status, validation.attempts) == (ValidationStatus.PENDING, 0)
    assert "Unlock and send new deposits" not in page
