"""Nothing of one customer account leaks to anyone else. Every portal URL pattern is walked, with
the ids of Globex's own objects, by: a person of another customer of the same biller, a customer of
another biller, a colleague who was removed, and someone signed out."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from remit.customers import access
from remit.customers.models import CustomerMembership, PortalInvitation
from remit.invoices.links import make_token
from remit.payments.actions import payment_schedule
from remit.payments.models import BankAccount, Payment
from remit.test import (
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    portal_login,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db

SECRET = "GLOBEX-SECRET"
PUBLIC = {
    "autopay_skip_link",  # signed per payment; see test_the_skip_link_opens_only_its_own_payment
    "retry_skip_link",  # signed per retry; see test_retry_pages.py: test_a_skip_link_is_refused_…
    "unsubscribe",  # signed per address; see test_email_preferences_pages.py: test_a_tampered_or_foreign_…
    "signin",
    "signin_code",
    "signout",
    "pay_link",
    "access_link",
    "fresh_link",
    "password_forgot",
    "password_reset",
    "invitation_accept",
    "brand_css",
    "logo",
}


def portal_patterns() -> list[URLPattern]:
    resolver = get_resolver()
    portal = next(p for p in resolver.url_patterns if isinstance(p, URLResolver) and p.namespace == "portal")
    return [p for p in portal.url_patterns if isinstance(p, URLPattern)]


@pytest.fixture
def world():
    acme, _ = make_biller("Acme Supply Co.")
    globex = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    admin = make_portal_user(globex)
    colleague = make_portal_user(globex, email="controller@globex.example", role="member")
    invoice = make_invoice(globex, number=f"{SECRET}-1", amount_cents=123456)
    account = make_bank_account(admin)
    private = make_bank_account(colleague, private=True)
    payment = payment_schedule(
        payer=admin, invoice_ids=[invoice.pk], bank_account_id=account.pk, pay_on=soonest_pay_on(acme), total_cents=1000
    )
    invitation = access.colleague_invite(
        customer=globex, actor=admin, email="new@globex.example", role="member", accept_url="{token}"
    )
    initech = make_customer(acme, "Initech", email="pat@initech.example")
    make_invoice(initech, number="INI-1")
    other_biller, _ = make_biller("Umbrella Corp")
    return {
        "acme": acme,
        "globex": globex,
        "admin": admin,
        "colleague": colleague,
        "invoice": invoice,
        "invitation": invitation.invitation,
        "account": account,
        "private": private,
        "payment": payment,
        "neighbour": make_portal_user(initech),
        "stranger": make_portal_user(make_customer(other_biller, "Stranger Ltd", email="s@stranger.example")),
    }


def member_urls(world) -> list[tuple[str, str]]:
    ids = {
        "invoice_id": world["invoice"].pk,
        "membership_id": world["colleague"].customer_membership.pk,
        "invitation_id": world["invitation"].pk,
        "bank_account_id": world["account"].pk,
        "payment_id": world["payment"].pk,
    }
    urls = []
    for pattern in portal_patterns():
        if pattern.name in PUBLIC:
            continue
        kwargs = {"biller_slug": "acme-supply", **{k: ids[k] for k in pattern.pattern.converters}}
        urls.append((pattern.name or "", reverse(f"portal:{pattern.name}", kwargs=kwargs)))
    names = {name for name, _ in urls}
    assert {
        "home",
        "invoices",
        "invoice",
        "invoice_pdf",
        "people",
        "person_remove",
        "security",
        "payment",
        "payment_cancel",
        "bank_accounts",
        "bank_account_remove",
        "pay_bills",
        "autopay",
        "autopay_edit",
        "autopay_skip",
    } <= names
    return urls


def state(world):
    return (
        sorted(Payment.objects.filter(customer=world["globex"]).values_list("pk", "status")),
        sorted(BankAccount.objects.filter(customer=world["globex"]).values_list("pk", "status")),
        sorted(CustomerMembership.objects.filter(customer=world["globex"]).values_list("pk", "role")),
        sorted(
            PortalInvitation.objects.filter(customer=world["globex"], revoked_at__isnull=True).values_list(
                "pk", flat=True
            )
        ),
    )


def remove_colleague(world):
    access.colleague_remove(
        customer=world["globex"], actor=world["admin"], membership_id=world["colleague"].customer_membership.pk
    )


@pytest.mark.parametrize("who", ["neighbour", "stranger", "removed colleague", "signed out"])
def test_no_outsider_gets_anything(world, who):
    client = Client()
    if who == "removed colleague":
        portal_login(client, world["colleague"])
        remove_colleague(world)
    elif who != "signed out":
        portal_login(client, world[who])
    before = state(world)
    for name, url in member_urls(world):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert SECRET.encode() not in body, f"{method.upper()} {url}"
            assert b"Globex" not in body, f"{method.upper()} {url}"
            assert b"6789" not in body or who == "neighbour", f"{method.upper()} {url}"
            if who == "neighbour" and name in {
                "invoice",
                "invoice_pdf",
                "payment",
                "payment_cancel",
                "payment_receipt",
                "bank_account_remove",
                "autopay_skip",
            }:
                assert response.status_code in {404, 405}, url  # 405: a GET of a POST-only address
            elif who != "neighbour":
                assert response.status_code in {302, 405}, f"{method.upper()} {url}: {response.status_code}"
                if response.status_code == 302:
                    assert response["Location"].startswith("/acme-supply/signin/"), url
    assert state(world) == before


def test_the_neighbours_own_pages_show_only_their_invoices(world):
    client = Client()
    portal_login(client, world["neighbour"])
    for path in ["/acme-supply/", "/acme-supply/invoices/", "/acme-supply/pay-bills/", "/acme-supply/people/"]:
        page = client.get(path).content.decode()
        assert SECRET not in page and "Globex" not in page
    assert "INI-1" in client.get("/acme-supply/invoices/").content.decode()


def test_a_globex_pay_link_signed_in_as_the_neighbour_shows_no_globex_data(world):
    client = Client()
    portal_login(client, world["neighbour"])
    response = client.get(f"/acme-supply/pay/{make_token(world['invoice'])}/")
    # Globex has a login: the link asks to sign in (as someone of Globex), showing nothing of it.
    assert response.status_code == 302 and response["Location"].startswith("/acme-supply/signin/")
    assert SECRET.encode() not in client.get(response["Location"]).content


def test_a_portal_session_does_not_open_another_billers_portal(world):
    client = Client()
    portal_login(client, world["stranger"])
    assert client.get("/acme-supply/")["Location"].startswith("/acme-supply/signin/")


def test_a_colleague_never_sees_a_private_account(world):
    client = Client()
    portal_login(client, world["admin"])  # even an admin
    private = world["private"]
    for path in ["/acme-supply/bank-accounts/", "/acme-supply/pay-bills/", "/acme-supply/payments/"]:
        assert private.masked_number not in client.get(path).content.decode(), path
    assert client.get(f"/acme-supply/bank-accounts/{private.pk}/remove/").status_code == 404
    assert client.post(f"/acme-supply/bank-accounts/{private.pk}/remove/").status_code == 404
    owner = Client()
    portal_login(owner, world["colleague"])
    assert private.masked_number in owner.get("/acme-supply/bank-accounts/").content.decode()
