from pathlib import Path

import pytest

from remit.lib.email_url import EmailUrlError, parse_email_url

BASE = Path("/srv/remit")


def test_it_parses_smtp_with_starttls():
    transport = parse_email_url("smtp://user%40x:p%2Fss@mail.example.com:587?tls=1", base_dir=BASE)
    assert (transport.scheme, transport.host, transport.port) == ("smtp", "mail.example.com", 587)
    assert (transport.username, transport.password) == ("user@x", "p/ss")
    assert transport.starttls and not transport.implicit_tls
    assert "p/ss" not in transport.describe()


def test_it_parses_smtps_as_implicit_tls_on_465():
    transport = parse_email_url("smtps://mail.example.com", base_dir=BASE)
    assert transport.implicit_tls and transport.port == 465


def test_plain_smtp_defaults_to_port_25():
    assert parse_email_url("smtp://localhost", base_dir=BASE).port == 25


def test_it_parses_file_urls_absolute_and_relative():
    assert parse_email_url("file:///tmp/mail", base_dir=BASE).directory == Path("/tmp/mail")
    assert parse_email_url("file:var/mail", base_dir=BASE).directory == BASE / "var/mail"


def test_it_parses_console():
    assert parse_email_url("console:", base_dir=BASE).scheme == "console"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.com", "unsupported scheme"),
        ("smtp://", "needs a host"),
        ("smtp://h?tls=1&ssl=1", "not both"),
        ("smtp://h?tls=maybe", "tls= must be 1 or 0"),
        ("smtp://h:notaport", "port is not a number"),
        ("smtp://h?timeout=soon", "timeout= must be a number"),
    ],
)
def test_it_explains_bad_urls(url, message):
    with pytest.raises(EmailUrlError, match=message):
        parse_email_url(url, base_dir=BASE)
