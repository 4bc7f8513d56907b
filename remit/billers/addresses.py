"""Rules for a biller's portal address (pure functions, no database).

The help article promises billers "a URL for your portal that contains your company name".
Remit serves each portal at ``/<slug>/`` on its main host, or at ``/`` on the biller's own domain.
Requiring the company name in the slug also stops one biller from dressing its portal up as
another company's.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

SLUG_MIN, SLUG_MAX = 3, 50
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Paths Remit itself uses at the top level, or may use, or that would mislead a payer.
RESERVED_SLUGS = frozenset(
    [
        "about",
        "account",
        "accounts",
        "admin",
        "api",
        "app",
        "assets",
        "auth",
        "billing",
        "brand",
        "console",
        "dashboard",
        "docs",
        "favicon.ico",
        "health",
        "healthz",
        "help",
        "internal",
        "invitations",
        "login",
        "logout",
        "media",
        "metrics",
        "openapi",
        "pay",
        "payment",
        "payments",
        "portal",
        "remit",
        "robots.txt",
        "security",
        "settings",
        "signin",
        "signout",
        "signup",
        "static",
        "status",
        "support",
        "terms",
        "well-known",
        "www",
    ]
)

# Legal-form words that add nothing to a name ("Acme Supply Co." → "acme-supply").
LEGAL_SUFFIXES = frozenset(
    [
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "bv",
        "nv",
        "pty",
        "the",
    ]
)

DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class AddressError(ValueError):
    """The slug or domain breaks a rule; the message says which, for the biller."""


def name_words(name: str) -> list[str]:
    """The lowercase ASCII words of a company name, legal-form suffixes dropped."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_name.replace("&", " and "))
    meaningful = [word for word in words if word not in LEGAL_SUFFIXES]
    return meaningful or words


def suggest_slug(name: str) -> str:
    """A portal slug made from the company name; the caller makes it unique."""
    slug = "-".join(name_words(name))[:SLUG_MAX].strip("-")
    if len(slug) < SLUG_MIN or slug in RESERVED_SLUGS:
        slug = f"{slug}-pay".strip("-") if slug else "portal-pay"
    return slug


def check_slug(slug: str, *, company_name: str) -> str:
    """Return the normalised slug, or raise AddressError naming the broken rule."""
    slug = slug.strip().lower()
    if not SLUG_MIN <= len(slug) <= SLUG_MAX:
        raise AddressError(f"Use between {SLUG_MIN} and {SLUG_MAX} characters.")
    if not SLUG_PATTERN.match(slug):
        raise AddressError(
            "Use only lowercase letters, digits and single hyphens, starting and ending with a letter or digit."
        )
    if slug in RESERVED_SLUGS:
        raise AddressError(f"“{slug}” is reserved by Remit. Choose another address.")
    words = [word for word in name_words(company_name) if len(word) >= 2]
    compact = slug.replace("-", "")
    if words and not any(word[:SLUG_MAX] in compact for word in words):
        raise AddressError(f"The address must contain your company name, for example “{suggest_slug(company_name)}”.")
    return slug


def check_domain(domain: str, *, remit_hosts: list[str]) -> str:
    """Return the normalised custom domain (``pay.example.com``), or raise AddressError."""
    domain = domain.strip().lower().rstrip(".")
    if domain.startswith(("http://", "https://")) or "/" in domain or ":" in domain:
        raise AddressError("Enter the domain name only, for example pay.example.com (no https://, port or path).")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressError("This is not a valid domain name.") from None
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        pass
    else:
        raise AddressError("Enter a domain name, not an IP address.")
    for host in remit_hosts:
        if domain == host or domain.endswith("." + host):
            raise AddressError("This domain belongs to Remit itself; use a domain of your own company.")
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(DOMAIN_LABEL.match(label) for label in labels):
        raise AddressError("This is not a valid domain name, for example pay.example.com.")
    if labels[-1].isdigit():
        raise AddressError("This is not a valid domain name, for example pay.example.com.")
    return domain


def domain_as_stored(text: str) -> str:
    """A host name as ``Biller.custom_domain`` stores it (lowercase, ASCII, no trailing dot), for
    looking one up: ``PAY.Acme.example.`` → ``pay.acme.example``. Raises AddressError when the text is
    no domain name at all (empty, a port, a path, an IP address, a bad label)."""
    domain = text.strip().lower().rstrip(".")
    if not domain:
        raise AddressError("No domain name given.")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressError("This is not a valid domain name.") from None
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(DOMAIN_LABEL.match(label) for label in labels):
        raise AddressError("This is not a valid domain name.")
    if labels[-1].isdigit():
        raise AddressError("This is an IP address, not a domain name.")
    return domain
