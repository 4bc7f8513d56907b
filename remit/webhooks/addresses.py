"""Which URLs an endpoint may have. HTTPS only; plain http:// only to this machine while developing.
In production an endpoint may not point at a private, loopback or otherwise non-public address —
neither when it is saved nor when a delivery connects (``public_address``), so that a biller can't
use Remit's worker to reach the network it runs in.

The operator may open exactly some of them (``REMIT_WEBHOOK_ALLOW``, ``lib/allowlist.py``), for an
accounting system on the operator's own network: a listed host name is allowed whatever it resolves
to; a listed network or address allows the addresses in it, whether written in the URL or resolved
from a name that isn't listed. Everything else is checked as before, at saving and at each delivery.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit

from remit.lib.allowlist import NOTHING, AddressAllowlist

MAX_LENGTH = 2000
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}

Resolver = Callable[[str, int], list[str]]


class AddressError(ValueError):
    """The URL is refused; the message says why, in words a biller understands."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def check_url(
    url: str, *, production: bool, resolver: Resolver | None = None, allow: AddressAllowlist = NOTHING
) -> str:
    """The URL to save (trimmed), or ``AddressError``. ``allow``: what the operator opened (production only)."""
    url = url.strip()
    if not url:
        raise AddressError("Enter the address that should receive the events.")
    if len(url) > MAX_LENGTH:
        raise AddressError(f"The address is longer than {MAX_LENGTH:,} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise AddressError("The address contains spaces or control characters.")
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in {"https", "http"}:
        raise AddressError("Enter an address that starts with https://.")
    if not host:
        raise AddressError("Enter a complete address, e.g. https://example.com/remit/webhooks.")
    if parts.username is not None or parts.password is not None:
        raise AddressError(
            "Remove the user name and password from the address: Remit signs every delivery instead "
            "(the Remit-Signature header)."
        )
    port = _port(parts)
    if scheme == "http" and (production or host not in LOCAL_HOSTS):
        raise AddressError(
            "Use https://. Plain http:// is allowed only for localhost or 127.0.0.1 on a development installation."
        )
    if production:
        _check_public(host, port, resolver or resolve, allow)
    return url


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError:
        raise AddressError("The port must be a number from 1 to 65535.") from None
    if port == 0:
        raise AddressError("The port must be a number from 1 to 65535.")
    return port or (443 if parts.scheme.lower() == "https" else 80)


def _permitted(address: str, allow: AddressAllowlist) -> bool:
    return is_public(address) or allow.allows_address(address)


def _check_public(host: str, port: int, resolver: Resolver, allow: AddressAllowlist) -> None:
    if allow.allows_host(host):
        return  # the operator listed this name: whatever it resolves to
    if host == "localhost" or host.endswith(".localhost"):
        raise AddressError("The address points at this server; use your public address.")
    literal = _ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = resolver(host, port)
        except OSError:
            return  # not resolvable yet (new DNS): each delivery checks again before it connects
    if any(not _permitted(address, allow) for address in addresses):
        raise AddressError(
            f"{host} is a private, loopback or reserved address. Remit delivers only to public addresses."
        )


def public_address(host: str, port: int, *, resolver: Resolver | None = None, allow: AddressAllowlist = NOTHING) -> str:
    """The address a delivery connects to: every address of ``host`` must be public or opened by the
    operator's ``allow`` (so a DNS change can't turn a public name into an internal one), and the
    connection goes to the one checked. A host name the operator listed may resolve to anything."""
    literal = _ip_literal(host)
    addresses = [literal] if literal is not None else (resolver or resolve)(host, port)
    if not addresses:
        raise AddressError(f"{host} has no address.")
    if allow.allows_host(host):
        return addresses[0]
    if any(not _permitted(address, allow) for address in addresses):
        raise AddressError(f"{host} resolves to a private, loopback or reserved address; Remit does not deliver there.")
    return addresses[0]
