"""``REMIT_WEBHOOK_ALLOW``: the networks, addresses and host names an operator opens to webhooks in
production although they are private or loopback — an accounting system on the operator's own
network. It opens exactly those; every other private, loopback or reserved address stays refused.

Entries are separated by commas (spaces around them don't matter):

- a network in CIDR form, IPv4 or IPv6: ``10.0.5.0/24``, ``fd12:3456::/48``. Written without host
  bits (``10.0.5.1/24`` is refused: did you mean ``10.0.5.0/24``?), and no wider than ``/8`` (IPv4)
  or ``/7`` (IPv6), the widest private blocks (``10.0.0.0/8``, ``fc00::/7``);
- a single address: ``192.168.1.20``, ``fd12::20`` (or ``[fd12::20]``);
- a host name, exact and case-insensitive (a trailing dot is ignored): ``accounting.internal``;
- ``*.`` and a name of at least two labels: every name *under* it, e.g. ``*.corp.example`` opens
  ``erp.corp.example`` and ``a.b.corp.example`` but not ``corp.example`` itself (list it too).

A network or an address opens the *addresses* in it, whatever name resolves to them; a host name
opens the *name*, whatever it resolves to. A bad entry is a start-up error that names it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import NoReturn

from remit.lib.env import ConfigurationError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

WIDEST_PREFIX = {4: 8, 6: 7}
LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
SHAPES = "a network (10.0.5.0/24), an address (192.168.1.20) or a host name (accounting.internal, *.corp.example)"


@dataclass(frozen=True)
class AddressAllowlist:
    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)
    suffixes: tuple[str, ...] = ()  # ".corp.example" for "*.corp.example"

    def __bool__(self) -> bool:
        return bool(self.networks or self.hosts or self.suffixes)

    def allows_host(self, host: str) -> bool:
        """The operator listed this name (exactly, or under a ``*.`` entry)."""
        name = host.strip().lower().rstrip(".")
        return bool(name) and (name in self.hosts or any(name.endswith(suffix) for suffix in self.suffixes))

    def allows_address(self, address: str) -> bool:
        """The address (as resolved, or written in the URL) lies in a listed network or is a listed address."""
        try:
            ip = ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == network.version and ip in network for network in self.networks)


NOTHING = AddressAllowlist()


def parse_allowlist(raw: str, *, name: str) -> AddressAllowlist:
    """The allowlist in ``raw`` (comma-separated), or ``ConfigurationError`` naming the first bad entry."""
    networks: list[Network] = []
    hosts: set[str] = set()
    suffixes: list[str] = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        network = _network(entry, name=name)
        if network is not None:
            networks.append(network)
        elif entry.startswith("*."):
            suffixes.append("." + _host_name(entry[2:], entry=entry, name=name, wildcard=True))
        else:
            hosts.add(_host_name(entry, entry=entry, name=name, wildcard=False))
    return AddressAllowlist(networks=tuple(networks), hosts=frozenset(hosts), suffixes=tuple(suffixes))


def _network(entry: str, *, name: str) -> Network | None:
    text = entry[1:-1] if entry.startswith("[") and entry.endswith("]") else entry
    looks_like_ip = "/" in text or ":" in text or re.fullmatch(r"[\d.]+", text) is not None
    if not looks_like_ip:
        return None
    if "://" in text:
        _refuse(name, entry, "write the host name alone, without https:// or a path")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        if "has host bits set" in str(error):
            loose = ipaddress.ip_network(text, strict=False)
            _refuse(name, entry, f"it has host bits set; did you mean {loose}?")
        if re.fullmatch(r"[a-z0-9.-]+:\d+", text, re.IGNORECASE):
            _refuse(name, entry, "write it without a port: the allowlist opens every port of an address")
        _refuse(name, entry, f"expected {SHAPES}")
    if network.prefixlen < WIDEST_PREFIX[network.version]:
        widest = "/8" if network.version == 4 else "/7"
        _refuse(
            name, entry, f"a network wider than {widest} would open far more than your own systems; list their networks"
        )
    return network


def _host_name(text: str, *, entry: str, name: str, wildcard: bool) -> str:
    host = text.lower().rstrip(".")
    if "://" in text or "/" in text:
        _refuse(name, entry, "write the host name alone, without https:// or a path")
    if ":" in text:
        _refuse(name, entry, "write it without a port: the allowlist opens every port of a host")
    labels = host.split(".")
    if len(host) > 253 or not all(LABEL.match(label) for label in labels):
        _refuse(name, entry, f"expected {SHAPES}; a * may only stand alone at the start, as in *.corp.example")
    if wildcard and len(labels) < 2:
        _refuse(
            name,
            entry,
            f"*.{host} would open every name under a whole top-level domain; "
            "write at least two labels after *. (*.corp.example), or list the names or the network",
        )
    return host


def _refuse(name: str, entry: str, why: str) -> NoReturn:
    raise ConfigurationError(f"{name}: {entry!r} is not allowed: {why}.")
