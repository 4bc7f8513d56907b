"""Steps 1–4 of the help article and "Things to know": the emailed link, sign-up, sign-in later,
lockout, password reset, fresh links."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from remit.customers.models import Customer, CustomerMembership
from remit.invoices.links import make_token
from remit.test import PASSWORD, make_biller, make_customer, make_invoice, make_portal_user, parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def initech():
    acme, _ = make_biller("Acme Supply Co.")
    customer = make_customer(acme, "Initech", email="pat@initech.example")
    return customer, make_invoice(customer, amount_cents=172000)


def link_in(message, path):
    found = re.search(rf"http://\S+{path}\S+/", parts(message)["text/plain"])
    assert found, f"no {path} link in the email"
    return found.group(0).removeprefix("http://127.0.0.1:8000")


def test_the_link_shows_sign_up_and_sign_up_lands_in_the_portal(client, initech):
    customer, invoice = initech
    url = f"/acme-supply/pay/{make_token(invoice)}/"
    html = client.get(url).content.decode()
    for words in ["Pay Invoice Electronically", "Create a password", "Account type", "Personal", "Business", "Sign Up"]:
        assert words in html
    response = client.post(
        url, {"email": "pat@initech.example", "password1": PASSWORD, "password2": PASSWORD, "account_type": "personal"}
    )
    assert response["Location"] == "/acme-supply/"
    home = client.get("/acme-supply/").content.decode()
    assert "Pay Outstanding Bills" in home and "$1,720.00" in home and invoice.number in home
    customer.refresh_from_db()
    assert customer.account_type == "personal"


def test_sign_up_errors_are_shown_and_nothing_is_saved(client, initech):
    _, invoice = initech
    url = f"/acme-supply/pay/{make_token(invoice)}/"
    html = client.post(
        url, {"email": "pat@initech.example", "password1": "short", "password2": "short"}
    ).content.decode()
    assert "This password is too short" in html
    assert "This field is required" in html  # the account type
    assert not CustomerMembership.objects.exists()


def test_with_a_login_the_link_leads_to_sign_in_then_to_that_invoice(client, initech):
    customer, invoice = initech
    make_portal_user(customer)
    url = f"/acme-supply/pay/{make_token(invoice)}/"
    response = client.get(url)
    target = f"/acme-supply/invoices/{invoice.pk}/"
    assert response["Location"] == f"/acme-supply/signin/?next={target.replace('/', '%2F')}"
    signed_in = client.post(
        response["Location"], {"email": "pat@initech.example", "password": PASSWORD, "next": target}
    )
    assert signed_in["Location"] == target
    assert invoice.number in client.get(target).content.decode()
    assert client.get(url)["Location"] == target  # already signed in: straight to the invoice


def test_sign_in_never_redirects_off_the_portal(client, initech):
    customer, _ = initech
    make_portal_user(customer)
    for evil in ["https://evil.example/", "//evil.example/", "/globex/", "/acme-supply/../console/"]:
        response = client.post(
            "/acme-supply/signin/", {"email": "pat@initech.example", "password": PASSWORD, "next": evil}
        )
        assert response["Location"] in {"/acme-supply/", evil} and not response["Location"].startswith(
            ("http", "//", "/globex")
        )
        client.post("/acme-supply/signout/")


def test_a_tampered_link_explains_itself_and_offers_a_fresh_one(client, initech, mailbox, run_on_commit):
    _, invoice = initech
    token = make_token(invoice)
    response = client.get(f"/acme-supply/pay/{token[:-4]}AAAA/")
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert "Email me a new link" in response.content.decode()
    with run_on_commit(execute=True):
        known = client.post("/acme-supply/new-link/", {"email": "Pat@Initech.example"})
        unknown = client.post("/acme-supply/new-link/", {"email": "stranger@example.com"})
    assert known.content.decode().replace("pat@initech.example", "X") == unknown.content.decode().replace(
        "stranger@example.com", "X"
    )
    [message] = mailbox()
    assert message["To"] == "pat@initech.example"
    access = link_in(message, "/access/")
    assert "Create a password" in client.get(access).content.decode()


def test_an_expired_link_says_so(client, initech):
    _, invoice = initech
    token = make_token(invoice, sent_on=invoice.issue_date)
    with time_machine.travel(timezone.now() + timedelta(days=120)):
        response = client.get(f"/acme-supply/pay/{token}/")
    assert response.status_code == 410
    assert "This link has expired." in response.content.decode()


def test_lockout_after_repeated_wrong_passwords_then_release(client, initech):
    customer, _ = initech
    make_portal_user(customer)
    for _ in range(5):
        html = client.post(
            "/acme-supply/signin/", {"email": "pat@initech.example", "password": "wrong"}
        ).content.decode()
        assert "The email or password is not right" in html
    locked = client.post("/acme-supply/signin/", {"email": "pat@initech.example", "password": PASSWORD})
    assert locked.status_code == 200
    assert "Too many wrong passwords for this account" in locked.content.decode()
    assert "try again in 15 minutes" in locked.content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert (
            client.post("/acme-supply/signin/", {"email": "pat@initech.example", "password": PASSWORD})["Location"]
            == "/acme-supply/"
        )


def test_lockout_per_address(client, initech, settings):
    settings.REMIT_TRUST_X_FORWARDED_FOR = True
    customer, _ = initech
    make_portal_user(customer)
    for n in range(30):
        client.post(
            "/acme-supply/signin/",
            {"email": f"guess{n}@x.example", "password": "x"},
            headers={"x-forwarded-for": "203.0.113.9"},
        )
    blocked = client.post(
        "/acme-supply/signin/",
        {"email": "pat@initech.example", "password": PASSWORD},
        headers={"x-forwarded-for": "203.0.113.9"},
    )
    assert "Too many failed sign-ins from your network" in blocked.content.decode()
    elsewhere = client.post(
        "/acme-supply/signin/",
        {"email": "pat@initech.example", "password": PASSWORD},
        headers={"x-forwarded-for": "198.51.100.7"},
    )
    assert elsewhere["Location"] == "/acme-supply/"


def test_password_reset_by_email(client, initech, mailbox, run_on_commit):
    customer, _ = initech
    make_portal_user(customer)
    with run_on_commit(execute=True):
        sent = client.post("/acme-supply/password/forgot/", {"email": "pat@initech.example"})
    assert "Check your email" in sent.content.decode()
    [message] = mailbox()
    reset = link_in(message, "/password/reset/")
    response = client.post(reset, {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"})
    assert response["Location"] == "/acme-supply/signin/"
    assert "doesn't work any more" in client.get(reset).content.decode()  # used once
    ok = client.post("/acme-supply/signin/", {"email": "pat@initech.example", "password": "a-brand-new-passphrase"})
    assert ok["Location"] == "/acme-supply/"


def test_a_password_reset_at_another_biller_finds_nobody(client, initech, mailbox, run_on_commit):
    customer, _ = initech
    make_portal_user(customer)
    make_biller("Globex Corporation")
    with run_on_commit(execute=True):
        client.post("/globex/password/forgot/", {"email": "pat@initech.example"})
    assert mailbox() == []


def test_portal_sessions_expire_and_are_separate_from_the_console(client, initech, settings):
    customer, _ = initech
    make_portal_user(customer)
    response = client.post("/acme-supply/signin/", {"email": "pat@initech.example", "password": PASSWORD})
    cookie = response.cookies["remit_portal"]
    assert cookie["path"] == "/acme-supply/"
    assert int(cookie["max-age"]) == settings.REMIT_PORTAL_SESSION_SECONDS
    assert cookie["httponly"]
    assert "remit_session" not in response.cookies
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.REMIT_PORTAL_SESSION_SECONDS + 60)):
        assert client.get("/acme-supply/")["Location"].startswith("/acme-supply/signin/")


def test_an_archived_customers_fresh_link_sends_nothing(client, initech, mailbox, run_on_commit):
    customer, _ = initech
    Customer.objects.filter(pk=customer.pk).update(archived_at=timezone.now())
    with run_on_commit(execute=True):
        client.post("/acme-supply/new-link/", {"email": "pat@initech.example"})
    assert mailbox() == []


def test_in_production_the_portal_cookie_is_secure(client, initech, settings):
    settings.SESSION_COOKIE_SECURE = True  # what REMIT_ENV=production sets
    customer, _ = initech
    make_portal_user(customer)
    response = client.post("/acme-supply/signin/", {"email": "pat@initech.example", "password": PASSWORD})
    assert response.cookies["remit_portal"]["secure"] is True
    assert response.cookies["remit_portal"]["samesite"] == "Lax"
