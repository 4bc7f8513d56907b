"""`remit check --deploy`: what a production configuration still lacks, each warning naming the
environment variable to set and why (docs/deploy.md, step 5).

Django's own deployment checks that speak of settings Remit derives from the environment
(``SECURE_SSL_REDIRECT``, ``SECURE_HSTS_SECONDS``, ``DEBUG``, the secure cookies) are silenced in
settings.py and said here in the operator's terms: ``REMIT_ENV``, ``REMIT_SSL_REDIRECT``,
``REMIT_HSTS_SECONDS``, ``REMIT_DEBUG``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, register
from django.core.checks import Warning as CheckWarning

Check = Callable[[], Iterable[CheckMessage]]
CHECKS: list[Check] = []

# Addresses no webhook should reach whatever the operator opens: the cloud providers' metadata
# services (instance credentials live there).
METADATA_ADDRESSES = [ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")]
NARROWEST_WIDE_PREFIX = {4: 16, 6: 48}  # a network wider than these opens more than one site's hosts
# What deploy/remit.env.example holds where the operator's own values go.
PLACEHOLDER, EXAMPLE_DOMAIN = "CHANGE-ME", "example.com"


def warning(number: int, message: str, hint: str) -> CheckWarning:
    return CheckWarning(message, hint=hint, id=f"remit.W{number:03d}")


def deploy_check(check: Check) -> Check:
    CHECKS.append(check)
    return check


@deploy_check
def environment() -> Iterable[CheckMessage]:
    if not settings.PRODUCTION:
        yield warning(
            1,
            "REMIT_ENV is not production: development defaults are on (DEBUG, generated secrets, no HTTPS "
            "redirect, no HSTS, cookies sent over plain HTTP).",
            "Set REMIT_ENV=production, with SECRET_KEY, REMIT_ENCRYPTION_KEYS and an https:// REMIT_BASE_URL.",
        )


@deploy_check
def database() -> Iterable[CheckMessage]:
    if settings.DATABASE_URL.startswith("sqlite"):
        yield warning(
            2,
            "DATABASE_URL is not set: the database is a SQLite file on this machine's disk, which a second "
            "machine can't share and which serialises every write.",
            "Set DATABASE_URL=postgres://remit:PASSWORD@HOST:5432/remit (PostgreSQL).",
        )


@deploy_check
def redis() -> Iterable[CheckMessage]:
    if not settings.REDIS_URL:
        yield warning(
            3,
            "REDIS_URL is not set: the task queue is a SQLite file and the cache (the API's rate limits) a "
            "folder on this machine's disk; a second web or worker machine would not share them.",
            "Set REDIS_URL=redis://HOST:6379/0.",
        )


@deploy_check
def email() -> Iterable[CheckMessage]:
    transport = settings.REMIT_EMAIL_TRANSPORT
    if transport.scheme != "smtp":
        yield warning(
            4,
            f"EMAIL_URL sends no email: it writes {transport.describe()}. Invoices, receipts, sign-in links "
            "and notices never reach anyone.",
            "Set EMAIL_URL=smtp://USER:PASSWORD@HOST:587?tls=1 (your mail provider's SMTP server).",
        )
    elif not (transport.starttls or transport.implicit_tls) and not _is_loopback(transport.host):
        yield warning(
            5,
            f"EMAIL_URL sends to {transport.host} without TLS: the SMTP password and every email cross the "
            "network in the clear.",
            "Add ?tls=1 (STARTTLS, port 587) or ?ssl=1 (implicit TLS, port 465) to EMAIL_URL.",
        )


@deploy_check
def metrics() -> Iterable[CheckMessage]:
    if not settings.REMIT_METRICS_TOKEN:
        yield warning(
            6,
            "REMIT_METRICS_TOKEN is not set: /metrics answers 404, so Prometheus can't see latency, email "
            "and webhook backlogs, files pending delivery or late exports.",
            "Set REMIT_METRICS_TOKEN to a long random value (e.g. `openssl rand -hex 32`) and give it to "
            "Prometheus as a bearer token.",
        )


@deploy_check
def webhook_allowlist() -> Iterable[CheckMessage]:
    allow = settings.REMIT_WEBHOOK_ALLOW
    for network in allow.networks:
        if any(address.version == network.version and address in network for address in METADATA_ADDRESSES):
            reason = "it holds the cloud metadata address (169.254.169.254), where a server's credentials are"
        elif network.is_loopback or network.network_address.is_loopback:
            reason = "it opens this machine's own services (loopback)"
        elif network.prefixlen < NARROWEST_WIDE_PREFIX[network.version]:
            reason = f"a /{network.prefixlen} opens every host of a whole private network"
        else:
            continue
        yield warning(
            7,
            f"REMIT_WEBHOOK_ALLOW opens {network}: {reason}. A biller's webhook URL could then reach "
            "internal services (server-side request forgery).",
            "List only the receivers' own addresses or small networks (10.0.5.20, 10.0.5.0/24) or their "
            "host names (accounting.internal).",
        )


@deploy_check
def proxy_addresses() -> Iterable[CheckMessage]:
    base_host = (urlsplit(settings.REMIT_BASE_URL).hostname or "").lower()
    if settings.PRODUCTION and set(settings.REMIT_HOSTS) <= {base_host}:
        yield warning(
            8,
            "ALLOWED_HOSTS names no address the proxy reaches this instance by: Caddy's certificate "
            "question (/internal/tls-allowed) and its health check (/healthz/live) come by address and "
            "get 400, so no biller's domain gets a certificate.",
            "Set ALLOWED_HOSTS=127.0.0.1 (add this machine's private address when Caddy runs on another).",
        )


@deploy_check
def behind_proxy() -> Iterable[CheckMessage]:
    if not settings.PRODUCTION:
        return
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is None:
        yield warning(
            9,
            "REMIT_BEHIND_PROXY is off: `remit web` speaks plain HTTP, and without the proxy's "
            "X-Forwarded-Proto Remit takes every request for http and redirects it to https, forever.",
            "Leave REMIT_BEHIND_PROXY unset (on) and run Remit behind Caddy (deploy/Caddyfile).",
        )
    elif not settings.REMIT_TRUST_X_FORWARDED_FOR:
        yield warning(
            10,
            "REMIT_TRUST_X_FORWARDED_FOR is off behind a proxy: every client seems to come from the proxy's "
            "address, so the sign-in lockout by address locks everyone out at once.",
            "Leave REMIT_TRUST_X_FORWARDED_FOR unset (on); keep `remit web` reachable only by the proxy.",
        )


@deploy_check
def https() -> Iterable[CheckMessage]:
    if not settings.PRODUCTION:
        return  # REMIT_ENV's warning says it
    if not settings.SECURE_SSL_REDIRECT:
        yield warning(
            11,
            "REMIT_SSL_REDIRECT is off: a page asked for over plain HTTP is served over it, cookies and all.",
            "Leave REMIT_SSL_REDIRECT unset (on).",
        )
    if not settings.SECURE_HSTS_SECONDS:
        yield warning(
            12,
            "REMIT_HSTS_SECONDS is 0: browsers are not told to use HTTPS only, so a first plain-HTTP visit "
            "can be intercepted.",
            "Leave REMIT_HSTS_SECONDS unset (a year), or set a number of seconds.",
        )
    if settings.DEBUG:
        yield warning(
            13,
            "REMIT_DEBUG is on: an error page shows settings, code and data to whoever caused it.",
            "Remove REMIT_DEBUG (or set REMIT_DEBUG=false).",
        )


@deploy_check
def static_files() -> Iterable[CheckMessage]:
    if settings.PRODUCTION and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        yield warning(
            14,
            f"The static files are not collected in {settings.STATIC_ROOT}: every page would answer 500.",
            "Run `remit collectstatic --no-input` after every install or upgrade.",
        )


@deploy_check
def tasks_eager() -> Iterable[CheckMessage]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield warning(
            15,
            "REMIT_TASKS_EAGER is on: background work (emails, webhooks, PDFs) runs inside the web request "
            "that asked for it, slowing it down and failing it when SMTP or a receiver is slow.",
            "Remove REMIT_TASKS_EAGER and run `remit worker` and `remit beat`.",
        )


@deploy_check
def placeholders() -> Iterable[CheckMessage]:
    values = {
        "REMIT_BASE_URL": settings.REMIT_BASE_URL,
        "DATABASE_URL": settings.DATABASE_URL,
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_URL": settings.EMAIL_URL,
        "REMIT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
    }
    for name, value in values.items():
        host = value.rsplit("@", 1)[-1].strip(" >") if name == "REMIT_FROM_EMAIL" else urlsplit(value).hostname
        host = (host or "").lower()
        if PLACEHOLDER in value or host == EXAMPLE_DOMAIN or host.endswith("." + EXAMPLE_DOMAIN):
            yield warning(
                16,
                f"{name} still holds deploy/remit.env.example's placeholder ({PLACEHOLDER} or {EXAMPLE_DOMAIN}).",
                f"Set {name} to your own value in /etc/remit/remit.env.",
            )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@register(deploy=True)
def remit_deploy_checks(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every check above, in the order of their ids."""
    return [message for check in CHECKS for message in check()]
