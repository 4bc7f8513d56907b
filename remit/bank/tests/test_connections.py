"""The bank connection's settings: checked, owner-only, secrets encrypted and never in the history;
the host key pinned, and a changed one stopping every transfer; Test connection; `remit bank configure`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from remit.ach.bank_sim_sftp import authorize_key
from remit.bank import sftp
from remit.bank.connections import (
    BankConnectionError,
    bank_connection_save,
    bank_connection_test,
    bank_host_key_changed,
    bank_host_key_pin,
    bank_key_generate,
)
from remit.bank.models import BankConnection, BankConnectionChange
from remit.bank.tests.conftest import BANK_PASSWORD, Acme, Bank, KeyPair, connection_fields
from remit.lib import crypto
from remit.lib.errors import NotPermitted
from remit.notifications.models import OutboundEmail
from remit.test import make_staff

pytestmark = pytest.mark.django_db


def history_text(acme: Acme) -> str:
    return json.dumps(
        [[c.what, c.before, c.after] for c in BankConnectionChange.objects.filter(biller=acme.biller)],
        ensure_ascii=False,
    )


def test_saving_encrypts_the_password_and_the_history_never_holds_it(acme: Acme, bank: Bank) -> None:
    connection = bank_connection_save(biller=acme.biller, actor=acme.owner, fields=connection_fields(bank))
    assert connection.password_encrypted and BANK_PASSWORD not in connection.password_encrypted
    assert crypto.decrypt(connection.password_encrypted) == BANK_PASSWORD
    assert connection.host_key_fingerprint == sftp.parse_host_key(bank.host_key).fingerprint
    assert connection.ready and connection.deliver_from is not None
    first = BankConnectionChange.objects.get(biller=acme.biller)
    assert first.actor == acme.owner
    assert first.after["password"] == "changed" and first.after["host"] == "127.0.0.1"
    assert first.after["host_key"] == connection.host_key_fingerprint

    bank_connection_save(
        biller=acme.biller, actor=acme.owner, fields=connection_fields(bank, password="a-new-password-99", host_key="")
    )
    latest = BankConnectionChange.objects.filter(biller=acme.biller).first()
    assert latest is not None and latest.before == {"password": "set"} and latest.after == {"password": "changed"}
    assert BANK_PASSWORD not in history_text(acme) and "a-new-password-99" not in history_text(acme)


def test_saving_the_same_settings_again_records_nothing(acme: Acme, bank: Bank) -> None:
    bank_connection_save(biller=acme.biller, actor=acme.owner, fields=connection_fields(bank))
    bank_connection_save(biller=acme.biller, actor=acme.owner, fields=connection_fields(bank, password="", host_key=""))
    assert BankConnectionChange.objects.filter(biller=acme.biller).count() == 1


def test_every_problem_is_said_at_once_and_nothing_is_saved(acme: Acme, bank: Bank) -> None:
    fields = connection_fields(
        bank,
        host="sftp://bank.example/x",
        port=0,
        username="my user",
        password="",
        outbound_dir="../up",
        inbound_dir="",
        host_key="",
        pgp_bank_key="not a key",
    )
    with pytest.raises(BankConnectionError) as raised:
        bank_connection_save(biller=acme.biller, actor=acme.owner, fields=fields)
    assert set(raised.value.errors) == {
        "host",
        "port",
        "username",
        "password",
        "outbound_dir",
        "inbound_dir",
        "pgp_bank_key",
        "enabled",
    }
    assert "is not a host name" in raised.value.errors["host"][0]
    assert "Confirm the bank's host key" in raised.value.errors["enabled"][0]
    assert not BankConnection.objects.exists() and not BankConnectionChange.objects.exists()


def test_staff_cannot_change_the_connection(acme: Acme, bank: Bank) -> None:
    staff = make_staff(acme.biller)
    with pytest.raises(NotPermitted):
        bank_connection_save(biller=acme.biller, actor=staff, fields=connection_fields(bank))
    with pytest.raises(NotPermitted):
        bank_key_generate(biller=acme.biller, actor=staff)
    assert not BankConnection.objects.exists()


def test_remits_generated_key_logs_in_once_the_bank_has_the_public_key(acme: Acme, bank: Bank) -> None:
    connection = bank_key_generate(biller=acme.biller, actor=acme.owner)
    assert connection.ssh_public_key.startswith("ssh-ed25519 ")
    assert "PRIVATE KEY" not in connection.ssh_private_key_encrypted
    assert "PRIVATE KEY" in crypto.decrypt(connection.ssh_private_key_encrypted)
    bank_connection_save(biller=acme.biller, actor=acme.owner, fields=connection_fields(bank, auth="key", password=""))
    report = bank_connection_test(biller=acme.biller)
    assert not report.ok and "refused the login of “remit” with Remit's SSH key" in report.text
    authorize_key(bank.folder, connection.ssh_public_key)
    report = bank_connection_test(biller=acme.biller)
    assert report.ok, report.text
    assert report.lines == [
        f"Connected to 127.0.0.1:{bank.port} as remit; the host key matches.",
        "Listed the folder for Remit's files, /to-bank: 0 item(s).",
        "Remit may write in /to-bank.",
        "Listed the folder of the bank's files, /from-bank: 0 item(s).",
    ]
    assert list(bank.to_bank.iterdir()) == []  # the write test left nothing behind
    saved = BankConnection.objects.get(biller=acme.biller)
    assert saved.last_test_ok is True and saved.last_test_report == report.text
    assert "PRIVATE" not in history_text(acme) and "generated a new SSH key" in history_text(acme)


def test_an_uploaded_private_key_is_checked_and_kept_encrypted(acme: Acme, bank: Bank) -> None:
    private, public = sftp.generate_key_pair()
    with pytest.raises(BankConnectionError, match="not an SSH private key"):
        bank_connection_save(
            biller=acme.biller, actor=acme.owner, fields=connection_fields(bank, auth="key", private_key="hello")
        )
    connection = bank_connection_save(
        biller=acme.biller, actor=acme.owner, fields=connection_fields(bank, auth="key", private_key=private)
    )
    assert connection.ssh_public_key.split()[:2] == public.split()[:2]
    assert private.split("\n")[1] not in history_text(acme)


def test_test_connection_names_the_missing_folder(connected: Acme, bank: Bank) -> None:
    BankConnection.objects.filter(biller=connected.biller).update(inbound_dir="/returns")
    report = bank_connection_test(biller=connected.biller)
    assert not report.ok
    assert report.lines[-1] == "Failed: The folder /returns does not exist on the bank's server."


def test_a_changed_host_key_stops_transfers_emails_the_owners_once_and_a_confirmed_key_resumes(
    connected: Acme, bank: Bank
) -> None:
    seen = sftp.parse_host_key(bank.host_key)
    assert connected.connection is not None
    bank_host_key_changed(connected.connection.pk, seen)
    bank_host_key_changed(connected.connection.pk, seen)  # a second worker meets it too: nothing more
    connection = BankConnection.objects.get(pk=connected.connection.pk)
    assert connection.transfers_stopped and not connection.ready
    emails = OutboundEmail.objects.filter(subject__contains="host key changed")
    assert emails.count() == 1 and emails[0].recipients == [connected.owner.email]
    assert "transfers stopped" in history_text(connected)
    bank_host_key_pin(biller=connected.biller, actor=connected.owner, host_key=bank.host_key)
    assert BankConnection.objects.get(pk=connection.pk).ready
    assert "confirmed the bank's host key" in history_text(connected)


def test_test_connection_with_a_changed_host_key_stops_the_transfers(connected: Acme, bank: Bank) -> None:
    other = sftp.generate_key_pair()[1]
    BankConnection.objects.filter(biller=connected.biller).update(host_key=" ".join(other.split()[:2]))
    report = bank_connection_test(biller=connected.biller)
    assert not report.ok and "presented the host key" in report.text
    connection = BankConnection.objects.get(biller=connected.biller)
    assert connection.transfers_stopped and connection.host_key_seen == bank.host_key


def test_pgp_keys_are_checked_and_the_private_one_kept_encrypted(
    acme: Acme, bank: Bank, pgp_keys: dict[str, KeyPair]
) -> None:
    mine = pgp_keys["biller"]
    with pytest.raises(BankConnectionError, match="passphrase of your PGP key is wrong"):
        bank_connection_save(
            biller=acme.biller,
            actor=acme.owner,
            fields=connection_fields(bank, pgp_own_key=mine.private, pgp_own_passphrase="wrong"),
        )
    with pytest.raises(BankConnectionError, match="This is a private key: give the bank's public key"):
        bank_connection_save(
            biller=acme.biller, actor=acme.owner, fields=connection_fields(bank, pgp_bank_key=mine.private)
        )
    connection = bank_connection_save(
        biller=acme.biller,
        actor=acme.owner,
        fields=connection_fields(
            bank,
            pgp_bank_key=pgp_keys["bank"].public,
            pgp_own_key=mine.private,
            pgp_own_passphrase=mine.passphrase,
        ),
    )
    assert connection.pgp_bank_fingerprint == pgp_keys["bank"].fingerprint
    assert connection.pgp_own_fingerprint == mine.fingerprint
    assert "PGP PRIVATE" not in connection.pgp_own_key_encrypted
    assert crypto.decrypt(connection.pgp_own_passphrase_encrypted) == mine.passphrase
    text = history_text(acme)
    assert mine.passphrase not in text and "PGP" not in text
    assert json.loads(text)[0][2]["pgp_own_passphrase"] == "changed"


def test_configure_tests_the_connection_before_it_saves(
    acme: Acme, bank: Bank, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("BANK_PASSWORD", BANK_PASSWORD)
    base = [
        "bank",
        "configure",
        "--biller",
        acme.biller.slug,
        "--url",
        f"sftp://remit@127.0.0.1:{bank.port}",
        "--host-key",
        bank.host_key,
        "--password-env",
        "BANK_PASSWORD",
        "--inbound",
        "/from-bank",
    ]
    out = StringIO()
    with pytest.raises(CommandError, match="The connection test failed; nothing was saved"):
        call_command(*base, "--outbound", "/inbox", stdout=out)
    assert "Failed: The folder /inbox does not exist on the bank's server." in out.getvalue()
    assert not BankConnection.objects.exists()

    out = StringIO()
    call_command(*base, "--outbound", "/to-bank", stdout=out)
    assert f"Saved {acme.biller.slug}'s bank connection sftp://remit@127.0.0.1:{bank.port} (no PGP)" in out.getvalue()
    connection = BankConnection.objects.get(biller=acme.biller)
    assert connection.ready and crypto.decrypt(connection.password_encrypted) == BANK_PASSWORD
    assert BANK_PASSWORD not in out.getvalue()
    assert BankConnectionChange.objects.get(biller=acme.biller).actor is None


def test_configure_with_a_key_file_and_bad_arguments(acme: Acme, bank: Bank, tmp_path: Path) -> None:
    private, public = sftp.generate_key_pair()
    authorize_key(bank.folder, public)
    key_file = tmp_path / "id_ed25519"
    key_file.write_text(private)
    args = [
        "--biller",
        acme.biller.slug,
        "--host-key",
        bank.host_key,
        "--outbound",
        "/to-bank",
        "--inbound",
        "/from-bank",
    ]
    with pytest.raises(CommandError, match="--url takes sftp://USER@HOST:PORT"):
        call_command("bank", "configure", *args, "--url", "https://bank.example", "--key-file", str(key_file))
    with pytest.raises(CommandError, match="Put no password in --url"):
        call_command("bank", "configure", *args, "--url", "sftp://u:pw@h:22", "--key-file", str(key_file))
    call_command(
        "bank",
        "configure",
        *args,
        "--url",
        f"sftp://remit@127.0.0.1:{bank.port}",
        "--key-file",
        str(key_file),
        stdout=StringIO(),
    )
    assert BankConnection.objects.get(biller=acme.biller).auth == "key"
