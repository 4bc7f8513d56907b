import pytest

from remit.billers.actions import biller_update_branding
from remit.lib.images import normalize_logo
from remit.test import PASSWORD, make_biller, make_customer, make_portal_user, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    biller, owner = make_biller("Acme Supply Co.")
    return biller_update_branding(
        biller=biller, actor=owner, brand_color="#fde047", logo=normalize_logo(png_bytes((400, 100)), "logo.png")
    )


def test_the_sign_in_page_carries_the_billers_logo_name_and_colour(client, acme):
    html = client.get("/acme-supply/signin/").content.decode()
    assert "<title>Sign in · Acme Supply Co.</title>" in html
    assert f'src="/acme-supply/logo/{acme.logo_version}.png" alt="Acme Supply Co."' in html
    assert 'href="/acme-supply/brand.css?v=fde047"' in html
    assert "Sign in to pay Acme Supply Co." in html
    assert "Pay Invoice Electronically" in html  # how a new customer gets in (help article, step 1)


def test_brand_css_sets_the_colour_and_a_readable_text_colour(client, acme):
    response = client.get("/acme-supply/brand.css?v=fde047")
    assert response["Content-Type"] == "text/css; charset=utf-8"
    css = response.content.decode()
    assert "--brand:#fde047" in css and "--brand-ink:#111827" in css  # dark text on yellow
    assert "max-age=31536000" in response["Cache-Control"]


def test_the_logo_is_cached_for_ever_at_its_versioned_address(client, acme):
    response = client.get(f"/acme-supply/logo/{acme.logo_version}.png")
    assert response.status_code == 200
    assert response.content == bytes(acme.logo_png)
    assert "immutable" in response["Cache-Control"]
    stale = client.get("/acme-supply/logo/000000000000.png")
    assert stale.status_code == 302 and stale["Location"] == f"/acme-supply/logo/{acme.logo_version}.png"


def test_no_logo_is_404_and_the_name_stands_in(client):
    make_biller("Globex Corporation")
    assert client.get("/globex/logo/abc.png").status_code == 404
    assert "<span>Globex Corporation</span>" in client.get("/globex/signin/").content.decode()


def test_a_portal_user_signs_in_only_at_their_own_billers_portal(client, acme):
    make_biller("Globex Corporation")
    make_portal_user(make_customer(acme, "Pat's Shop", email="pat@example.com"))
    wrong_portal = client.post("/globex/signin/", {"email": "pat@example.com", "password": PASSWORD})
    assert "The email or password is not right" in wrong_portal.content.decode()
    response = client.post("/acme-supply/signin/", {"email": "PAT@example.com", "password": PASSWORD})
    assert response["Location"] == "/acme-supply/"
    assert "Pat&#x27;s Shop" in client.get("/acme-supply/").content.decode()


def test_a_console_user_is_not_signed_in_to_the_portal(client, acme):
    owner = acme.memberships.get().user
    client.force_login(owner)
    assert client.get("/acme-supply/")["Location"] == "/acme-supply/signin/?next=%2Facme-supply%2F"
    assert client.post("/acme-supply/signin/", {"email": owner.email, "password": PASSWORD}).status_code == 200


def test_signing_out(client, acme):
    make_portal_user(make_customer(acme, email="pat@example.com"))
    client.post("/acme-supply/signin/", {"email": "pat@example.com", "password": PASSWORD})
    assert client.post("/acme-supply/signout/")["Location"] == "/acme-supply/signin/"
    assert client.get("/acme-supply/")["Location"] == "/acme-supply/signin/?next=%2Facme-supply%2F"
    assert client.get("/acme-supply/signout/").status_code == 405
