"""Which endpoint URLs are accepted: HTTPS; http:// only to this machine in development; never
credentials; in production, never a private, loopback or reserved address."""

from __future__ import annotations

import pytest

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
