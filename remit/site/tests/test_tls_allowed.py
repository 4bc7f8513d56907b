"""/internal/tls-allowed: Caddy gets a certificate on demand only for a domain a biller has set."""

import pytest

from remit.billers.actions import biller_set_custom_domain
from remit.billers.addresses import AddressError, check_slug
from remit.test import make_biller

pytestmark = pytest.mark.django_db

URL = "/internal/tls-allowed"


@pytest.fixture
def acme_domain():
    acme, owner = make_biller("Acme Supply Co.")
    biller_set_custom_domain(biller=acme, actor=owner, domain="pay.acme.example")
    make_biller("Globex Corporation")  # a biller without a domain of its own
    return acme


def test_it_allows_a_billers_own_domain_in_one_query(client, acme_domain, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(URL, {"domain": "pay.acme.example"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"Allowed: pay.acme.example is a biller's portal domain.\n"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("asked", ["PAY.Acme.EXAMPLE", "pay.acme.example.", " pay.acme.example "])
def test_it_normalises_case_and_the_trailing_dot(client, acme_domain, asked):
    assert client.get(URL, {"domain": asked}).status_code == 200


@pytest.mark.parametrize(
    "asked",
    [
        "acme.example",  # the biller's parent domain
        "www.pay.acme.example",  # a subdomain of it
        "evil.example",
        "pay.remit.example",
        "globex.example",
    ],
)
def test_it_refuses_every_domain_no_biller_set(client, acme_domain, asked):
    response = client.get(URL, {"domain": asked})
    assert response.status_code == 404
    assert b"no biller has set" in response.content


def test_it_refuses_remits_own_host_which_gets_its_certificate_from_its_own_site_block(client, settings):
    # Portals live under /<slug>/ on Remit's host, not on a subdomain per biller: nothing else to allow.
    make_biller("Acme Supply Co.")
    for host in [*settings.REMIT_HOSTS, "acme-supply.testserver"]:
        assert client.get(URL, {"domain": host}).status_code in {400, 404}, host


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ("", "No domain name given."),
        (".", "No domain name given."),
        ("pay.acme.example:443", "not a valid domain name"),
        ("https://pay.acme.example/", "not a valid domain name"),
        ("127.0.0.1", "an IP address"),
        ("[::1]", "not a valid domain name"),
        ("localhost", "not a valid domain name"),
        ("*.acme.example", "not a valid domain name"),
        ("pay..acme.example", "not a valid domain name"),
        ("-pay.acme.example", "not a valid domain name"),
        ("pay.acme.example\x00", "not a valid domain name"),
        ("a" * 64 + ".example", "not a valid domain name"),
        (("abc." * 64) + "example", "not a valid domain name"),
    ],
)
def test_malformed_input_is_a_clear_400(client, acme_domain, asked, message):
    response = client.get(URL, {"domain": asked})
    assert response.status_code == 400, asked
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.content.decode()


def test_a_missing_or_absurd_parameter_is_a_clear_400(client):
    response = client.get(URL)
    assert response.status_code == 400 and b"Give the domain to check" in response.content
    assert client.get(URL, {"domain": "a" * 5000}).status_code == 400
    assert client.get(URL + "?domain=%ff%fe").status_code == 400


def test_an_unicode_domain_is_asked_as_caddy_sends_it_punycode(client):
    biller, owner = make_biller("Bücher GmbH")
    biller_set_custom_domain(biller=biller, actor=owner, domain="zahlen.bücher.example")
    assert client.get(URL, {"domain": "zahlen.xn--bcher-kva.example"}).status_code == 200
    assert client.get(URL, {"domain": "zahlen.bücher.example"}).status_code == 200


def test_only_get_is_answered(client, acme_domain):
    assert client.post(URL, {"domain": "pay.acme.example"}).status_code == 405


def test_a_billers_own_domain_does_not_serve_it(client, acme_domain):
    response = client.get(URL, {"domain": "pay.acme.example"}, headers={"host": "pay.acme.example"})
    assert response.status_code == 404


def test_internal_can_not_become_a_portal_address():
    with pytest.raises(AddressError, match="reserved"):
        check_slug("internal", company_name="Internal Affairs Ltd")
