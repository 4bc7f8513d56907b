"""Remit's own deployment checks, one by one (the whole of `remit check --deploy` with a correct and a
wrong production environment: test_settings.py)."""

from pathlib import Path

import pytest

from remit.lib.allowlist import parse_allowlist
from remit.lib.email_url import EmailTransport
from remit.site import checks


def ids(messages) -> list[str]:
    return [message.id for message in messages]


@pytest.fixture
def production(settings, tmp_path: Path):
    """The settings of a correct production configuration."""
    settings.PRODUCTION = True
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.REMIT_TRUST_X_FORWARDED_FOR = True
    settings.REMIT_BASE_URL = "https://pay.remit.example"
    settings.REMIT_HOSTS = ["127.0.0.1", "pay.remit.example"]
    settings.DATABASE_URL = "postgres://remit@db.example:5432/remit"
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.REMIT_EMAIL_TRANSPORT = EmailTransport(scheme="smtp", host="mail.example", port=587, starttls=True)
    settings.REMIT_METRICS_TOKEN = "token"
    settings.REMIT_WEBHOOK_ALLOW = parse_allowlist("10.0.5.0/24", name="REMIT_WEBHOOK_ALLOW")
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "staticfiles.json").write_text("{}")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings


def test_it_finds_nothing_in_a_correct_production_configuration(production):
    assert checks.remit_deploy_checks() == []


def test_development_says_to_set_remit_env(production):
    production.PRODUCTION = False
    messages = checks.remit_deploy_checks()
    assert ids(messages) == ["remit.W001"]
    assert "REMIT_ENV=production" in (messages[0].hint or "")


def test_smtp_without_tls_is_a_warning_unless_the_server_is_on_this_machine(production):
    production.REMIT_EMAIL_TRANSPORT = EmailTransport(scheme="smtp", host="mail.example", port=25)
    [message] = checks.remit_deploy_checks()
    assert message.id == "remit.W005" and "?tls=1" in (message.hint or "")
    for host in ["127.0.0.1", "localhost", "[::1]"]:
        production.REMIT_EMAIL_TRANSPORT = EmailTransport(scheme="smtp", host=host, port=25)
        assert checks.remit_deploy_checks() == [], host
    production.REMIT_EMAIL_TRANSPORT = EmailTransport(scheme="smtp", host="mail.example", port=465, implicit_tls=True)
    assert checks.remit_deploy_checks() == []


def test_console_email_is_no_email(production):
    production.REMIT_EMAIL_TRANSPORT = EmailTransport(scheme="console")
    assert ids(checks.remit_deploy_checks()) == ["remit.W004"]


def test_without_the_proxy_header_every_request_would_redirect_forever(production):
    production.SECURE_PROXY_SSL_HEADER = None
    [message] = checks.remit_deploy_checks()
    assert message.id == "remit.W009" and "REMIT_BEHIND_PROXY" in message.msg


@pytest.mark.parametrize(
    ("allow", "wide"),
    [
        ("10.0.5.0/24, 192.168.1.20, accounting.internal, *.corp.example, fd12:3456::/48", []),
        ("10.0.0.0/8", ["10.0.0.0/8"]),
        ("172.16.0.0/12, 10.1.0.0/16", ["172.16.0.0/12"]),
        ("169.254.169.254", ["169.254.169.254/32"]),
        ("127.0.0.1", ["127.0.0.1/32"]),
        ("fc00::/7, fd00:ec2::254", ["fc00::/7", "fd00:ec2::254/128"]),
    ],
)
def test_a_wide_open_webhook_allowlist_is_named_entry_by_entry(production, allow, wide):
    production.REMIT_WEBHOOK_ALLOW = parse_allowlist(allow, name="REMIT_WEBHOOK_ALLOW")
    messages = checks.remit_deploy_checks()
    assert set(ids(messages)) <= {"remit.W007"}
    assert [message.msg.split(": ")[0].removeprefix("REMIT_WEBHOOK_ALLOW opens ") for message in messages] == wide


def test_only_remits_own_host_in_allowed_hosts_leaves_caddy_out(production):
    production.REMIT_HOSTS = ["pay.remit.example"]
    [message] = checks.remit_deploy_checks()
    assert message.id == "remit.W008" and "ALLOWED_HOSTS=127.0.0.1" in (message.hint or "")
