import pytest

from remit.billers.actions import biller_change_slug, biller_set_custom_domain
from remit.test import make_biller

pytestmark = pytest.mark.django_db


def test_a_billers_own_domain_serves_its_portal_at_the_root(client):
    acme, owner = make_biller("Acme Supply Co.")
    biller_set_custom_domain(biller=acme, actor=owner, domain="pay.acme.example")
    make_biller("Globex Corporation")

    response = client.get("/", headers={"host": "pay.acme.example"})
    assert response.status_code == 302 and response["Location"] == "/signin/?next=%2F"

    page = client.get("/signin/", headers={"host": "pay.acme.example"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sign in to pay Acme Supply Co." in html
    assert 'href="/brand.css?v=' in html and "/acme-supply/" not in html


def test_the_port_does_not_matter_for_a_custom_domain(client):
    acme, owner = make_biller("Acme Supply Co.")
    biller_set_custom_domain(biller=acme, actor=owner, domain="pay.acme.example")
    assert client.get("/signin/", headers={"host": "PAY.ACME.EXAMPLE:8443"}).status_code == 200


def test_a_custom_domain_does_not_reach_the_console_or_other_portals(client):
    acme, owner = make_biller("Acme Supply Co.")
    biller_set_custom_domain(biller=acme, actor=owner, domain="pay.acme.example")
    make_biller("Globex Corporation")
    for path in ["/console/", "/admin/", "/globex/signin/", "/acme-supply/signin/"]:
        assert client.get(path, headers={"host": "pay.acme.example"}).status_code == 404, path


def test_an_unknown_host_is_refused(client):
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert b"No payment portal is configured for" in response.content


def test_the_main_host_serves_portals_by_slug_and_the_console(client):
    make_biller("Acme Supply Co.")
    assert client.get("/acme-supply/signin/").status_code == 200
    assert client.get("/").headers["Location"] == "/console/"
    assert client.get("/no-such-biller/signin/").status_code == 404


def test_an_old_slug_redirects_permanently_to_the_same_page(client):
    acme, owner = make_biller("Acme Supply Co.")
    biller_change_slug(biller=acme, actor=owner, slug="acme")
    response = client.get("/acme-supply/signin/?next=x")
    assert response.status_code == 301
    assert response["Location"] == "/acme/signin/?next=x"
    assert client.get("/acme/signin/").status_code == 200


def test_every_page_has_a_content_security_policy_without_inline_scripts(client):
    make_biller("Acme Supply Co.")
    for path in ["/acme-supply/signin/", "/console/signin/", "/console/signup/"]:
        policy = client.get(path)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
