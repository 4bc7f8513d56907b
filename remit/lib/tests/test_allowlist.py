"""REMIT_WEBHOOK_ALLOW: networks (IPv4, IPv6), single addresses and host names (exact or *.suffix),
and a start-up error naming any entry that is none of these."""

import pytest

from remit.lib.allowlist import NOTHING, parse_allowlist
from remit.lib.env import ConfigurationError

NAME = "REMIT_WEBHOOK_ALLOW"


def test_networks_addresses_and_host_names_are_read():
    allow = parse_allowlist(
        " 10.0.5.0/24, Accounting.Internal., 192.168.1.20 ,fd12:3456::/48, [fd00::20], *.Corp.Example,, ", name=NAME
    )
    assert [str(n) for n in allow.networks] == ["10.0.5.0/24", "192.168.1.20/32", "fd12:3456::/48", "fd00::20/128"]
    assert allow.hosts == {"accounting.internal"}
    assert allow.suffixes == (".corp.example",)


def test_a_network_opens_the_addresses_in_it_and_nothing_else():
    allow = parse_allowlist("10.0.5.0/24, 192.168.1.20, fd12:3456::/48", name=NAME)
    assert allow.allows_address("10.0.5.1") and allow.allows_address("10.0.5.255")
    assert allow.allows_address("::ffff:10.0.5.7")  # the same address, IPv4-mapped
    assert allow.allows_address("192.168.1.20") and allow.allows_address("fd12:3456:0:1::9")
    for other in ["10.0.6.1", "192.168.1.21", "127.0.0.1", "::1", "fd12:3457::1", "169.254.169.254", "not an ip"]:
        assert not allow.allows_address(other), other


def test_a_host_name_is_matched_exactly_and_a_wildcard_only_below_its_suffix():
    allow = parse_allowlist("accounting.internal, *.corp.example", name=NAME)
    assert allow.allows_host("accounting.internal") and allow.allows_host("ACCOUNTING.internal.")
    assert allow.allows_host("erp.corp.example") and allow.allows_host("a.b.corp.example")
    for other in ["corp.example", "evilcorp.example", "accounting.internal.evil.example", "x.accounting.internal", ""]:
        assert not allow.allows_host(other), other


def test_nothing_set_opens_nothing():
    assert parse_allowlist("", name=NAME) == NOTHING and not NOTHING
    assert not NOTHING.allows_host("localhost") and not NOTHING.allows_address("127.0.0.1")


@pytest.mark.parametrize(
    ("raw", "bad", "why"),
    [
        ("10.0.5.0/24, 10.0.6.1/24", "'10.0.6.1/24'", "did you mean 10.0.6.0/24"),
        ("10.0.5.0/33", "'10.0.5.0/33'", "expected a network"),
        ("10.0.5", "'10.0.5'", "expected a network"),
        ("0.0.0.0/0", "'0.0.0.0/0'", "wider than /8"),
        ("::/0", "'::/0'", "wider than /7"),
        ("https://accounting.internal/hooks", "'https://accounting.internal/hooks'", "without https://"),
        ("accounting.internal:8443", "'accounting.internal:8443'", "without a port"),
        ("10.0.5.3:8443", "'10.0.5.3:8443'", "without a port"),
        ("*", "'*'", "expected a network"),
        ("*.com", "'*.com'", "whole top-level domain"),
        ("acc*.corp.example", "'acc*.corp.example'", "a * may only stand alone"),
        ("accounting internal", "'accounting internal'", "expected a network"),
        ("-bad-.example", "'-bad-.example'", "expected a network"),
    ],
)
def test_a_bad_entry_is_refused_by_name(raw, bad, why):
    with pytest.raises(ConfigurationError) as refused:
        parse_allowlist(raw, name=NAME)
    message = str(refused.value)
    assert message.startswith(f"{NAME}: {bad} is not allowed") and why in message
