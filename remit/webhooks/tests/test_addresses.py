"""Which endpoint URLs are accepted: HTTPS; http:// only to this machine in development; never
credentials; in production, never a private, loopback or reserved address."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from remit.lib.allowlist import parse_allowlist
from remit.webhooks.addresses import AddressError, check_url, is_public, public_address


def public(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]


def private(host: str, port: int) -> list[str]:
    return ["93.184.215.14", "10.1.2.3"]  # one bad address is enough


def unknown(host: str, port: int) -> list[str]:
    raise OSError("Name or service not known")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/remit/webhooks",
        "https://example.com:8443/hooks?source=remit",
        "http://localhost:8000/hooks",
        "http://127.0.0.1:5000/",
        "http://[::1]:5000/",
        "  https://example.com/hooks  ",
    ],
)
def test_it_accepts_https_and_local_http_in_development(url):
    assert check_url(url, production=False, resolver=public) == url.strip()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the address"),
        ("example.com/hooks", "starts with https://"),
        ("ftp://example.com/hooks", "starts with https://"),
        ("javascript:alert(1)", "starts with https://"),
        ("file:///etc/passwd", "starts with https://"),
        ("https:///hooks", "complete address"),
        ("http://example.com/hooks", "Use https://"),
        ("http://192.168.1.20/hooks", "Use https://"),
        ("https://user:secret@example.com/hooks", "Remove the user name and password"),
        ("https://token@example.com/hooks", "Remove the user name and password"),
        ("https://example.com:99999/hooks", "port"),
        ("https://example.com/ho oks", "spaces"),
        ("https://example.com/" + "a" * 2000, "longer than 2,000"),
    ],
)
def test_it_refuses_other_schemes_credentials_and_plain_http_elsewhere(url, message):
    with pytest.raises(AddressError, match=message):
        check_url(url, production=False, resolver=public)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/hooks",
        "http://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://api.localhost/hooks",
        "https://127.0.0.1/hooks",
        "https://10.0.0.5/hooks",
        "https://172.16.4.4/hooks",
        "https://192.168.1.2/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hooks",
        "https://0.0.0.0/hooks",
        "https://[::1]/hooks",
        "https://[fd00::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
    ],
)
def test_in_production_it_refuses_local_and_private_addresses(url):
    with pytest.raises(AddressError):
        check_url(url, production=True, resolver=public)


def test_in_production_a_name_that_resolves_to_a_private_address_is_refused():
    with pytest.raises(AddressError, match="private, loopback or reserved"):
        check_url("https://intranet.example.com/hooks", production=True, resolver=private)
    assert check_url("https://example.com/hooks", production=True, resolver=public) == "https://example.com/hooks"
    # Not resolvable yet (DNS to come): accepted now, checked again before every delivery.
    assert check_url("https://new.example.com/hooks", production=True, resolver=unknown)


def test_a_delivery_connects_only_to_a_public_address():
    assert public_address("example.com", 443, resolver=public) == "93.184.215.14"
    assert public_address("8.8.8.8", 443) == "8.8.8.8"
    with pytest.raises(AddressError):
        public_address("example.com", 443, resolver=private)
    with pytest.raises(AddressError):
        public_address("127.0.0.1", 443)


def test_is_public():
    assert is_public("93.184.215.14") and is_public("2606:2800:220:1::1")
    assert not any(map(is_public, ["127.0.0.1", "10.0.0.1", "::1", "fe80::1%eth0", "224.0.0.1", "::ffff:10.0.0.1"]))


# --- The operator's allowlist (REMIT_WEBHOOK_ALLOW) ---------------------------------------------

ALLOW = parse_allowlist("10.0.5.0/24, fd12:3456::/48, 192.168.1.20, accounting.internal, *.corp.example", name="T")


def resolves_to(*addresses: str):
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    ("url", "resolver"),
    [
        ("https://10.0.5.7/hooks", public),  # in a listed network
        ("https://[fd12:3456::7]:8443/hooks", public),
        ("https://192.168.1.20/hooks", public),  # a listed address
        ("https://accounting.internal/hooks", resolves_to("10.9.9.9")),  # a listed name: whatever it resolves to
        ("https://ACCOUNTING.internal/hooks", resolves_to("127.0.0.1")),
        ("https://erp.corp.example/hooks", resolves_to("172.16.0.4", "fd00::4")),
        # Not listed, but it resolves into a listed network.
        ("https://billing.example.com/hooks", resolves_to("10.0.5.9")),
    ],
)
def test_in_production_the_allowlist_opens_exactly_what_it_lists(url, resolver):
    assert check_url(url, production=True, resolver=resolver, allow=ALLOW) == url
    host = urlsplit(url).hostname
    assert public_address(host, 443, resolver=resolver, allow=ALLOW)


@pytest.mark.parametrize(
    ("url", "resolver"),
    [
        ("https://10.0.6.7/hooks", public),  # the next network
        ("https://192.168.1.21/hooks", public),  # the next address
        ("https://127.0.0.1/hooks", public),
        ("https://169.254.169.254/latest/meta-data", public),
        ("https://[fd12:3457::1]/hooks", public),
        ("https://localhost/hooks", resolves_to("10.0.5.1")),  # "localhost" is refused by name unless listed
        ("https://corp.example/hooks", resolves_to("10.1.1.1")),  # *.corp.example is only the names below it
        ("https://accounting.internal.evil.example/hooks", resolves_to("10.1.1.1")),
        ("https://billing.example.com/hooks", resolves_to("10.0.5.9", "10.0.6.9")),  # one address outside is enough
    ],
)
def test_in_production_everything_else_private_stays_refused(url, resolver):
    with pytest.raises(AddressError, match=r"private, loopback or reserved|points at this server"):
        check_url(url, production=True, resolver=resolver, allow=ALLOW)


def test_plain_http_stays_refused_in_production_even_to_an_allowed_address():
    with pytest.raises(AddressError, match="Use https://"):
        check_url("http://10.0.5.7/hooks", production=True, resolver=public, allow=ALLOW)


def test_a_name_rebound_to_a_private_address_after_saving_is_refused_at_delivery_unless_listed():
    # Saved while it resolved to a public address ...
    assert check_url("https://hooks.biller.example/in", production=True, resolver=public, allow=ALLOW)
    # ... then its DNS points at this machine or the cloud's metadata service: refused at the connection.
    for rebound in ["127.0.0.1", "169.254.169.254", "10.0.6.1"]:
        with pytest.raises(AddressError, match="private, loopback or reserved"):
            public_address("hooks.biller.example", 443, resolver=resolves_to(rebound), allow=ALLOW)
    # Into a listed network, it is what the operator opened (the same as writing the address itself).
    assert public_address("hooks.biller.example", 443, resolver=resolves_to("10.0.5.3"), allow=ALLOW) == "10.0.5.3"
    # A listed name may resolve to anything, and the connection goes to the address resolved.
    assert public_address("accounting.internal", 443, resolver=resolves_to("127.0.0.1"), allow=ALLOW) == "127.0.0.1"
