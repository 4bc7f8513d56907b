"""`remit bank configure …` (a biller's bank connection, for scripted deployments: tested before it is
saved) and `remit bank sync [--biller SLUG]` (one round of deliveries and pick-up, by hand)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from remit.bank import sftp
from remit.bank.connections import BankConnectionError, ConnectionFields, bank_connection_save, probe_endpoint
from remit.bank.models import AuthMethod
from remit.bank.sync import bank_sync, connected_billers
from remit.billers.models import Biller


def _biller(slug: str) -> Biller:
    biller = Biller.objects.filter(slug=slug).first()
    if biller is None:
        raise CommandError(f"No biller has the portal address “{slug}”.")
    return biller


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file ({what}).") from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise CommandError(f"{path}: not a text file ({what}).") from None


def _url(text: str) -> tuple[str, str, int]:
    parts = urlsplit(text)
    if parts.scheme != "sftp" or not parts.hostname or not parts.username or parts.path not in ("", "/"):
        raise CommandError(f"--url takes sftp://USER@HOST:PORT, not “{text}”.")
    if parts.password:
        raise CommandError("Put no password in --url (it would stay in the shell's history); use --password-env.")
    try:
        port = parts.port or 22
    except ValueError:
        raise CommandError(f"“{text}” has no valid port.") from None
    return unquote(parts.username), parts.hostname, port


class Command(BaseCommand):
    help = "The bank connection over SFTP: configure it, or run one round of deliveries and pick-up."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        configure = sub.add_parser("configure", help="Set a biller's bank connection (tested before it is saved).")
        configure.add_argument("--biller", required=True, help="The biller's portal slug.")
        configure.add_argument("--url", required=True, help="sftp://USER@HOST:PORT")
        configure.add_argument("--host-key", required=True, help="The server's host key: 'TYPE BASE64'.")
        login = configure.add_mutually_exclusive_group(required=True)
        login.add_argument("--key-file", help="A file with the SSH private key (no passphrase).")
        login.add_argument("--password-env", help="The environment variable holding the password.")
        configure.add_argument("--outbound", required=True, help="The folder Remit delivers NACHA files to.")
        configure.add_argument("--inbound", required=True, help="The folder the bank puts returns in.")
        configure.add_argument("--pgp-bank-key", help="A file with the bank's PGP public key: files are encrypted.")
        configure.add_argument("--pgp-own-key", help="A file with your PGP private key, to decrypt the bank's files.")
        configure.add_argument(
            "--pgp-passphrase-env", help="The environment variable holding that private key's passphrase."
        )
        sync = sub.add_parser("sync", help="Deliver what is due and pick up the bank's files, once.")
        sync.add_argument("--biller", help="Only this biller (its portal slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "configure":
            self._configure(options)
        else:
            self._sync(options.get("biller"))

    def _configure(self, options: dict[str, Any]) -> None:
        biller = _biller(options["biller"])
        username, host, port = _url(options["url"])
        password = private_key = ""
        if options.get("password_env"):
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(f"The environment variable {options['password_env']} is empty or not set.")
        else:
            private_key = _read(options["key_file"], "the SSH private key")
        passphrase = ""
        if options.get("pgp_passphrase_env"):
            passphrase = os.environ.get(options["pgp_passphrase_env"], "")
        fields = ConnectionFields(
            host=host,
            port=port,
            username=username,
            auth=AuthMethod.PASSWORD if password else AuthMethod.KEY,
            password=password,
            private_key=private_key,
            outbound_dir=options["outbound"],
            inbound_dir=options["inbound"],
            pgp_bank_key=_read(options["pgp_bank_key"], "the bank's PGP key") if options.get("pgp_bank_key") else "",
            pgp_own_key=_read(options["pgp_own_key"], "your PGP key") if options.get("pgp_own_key") else "",
            pgp_own_passphrase=passphrase,
            enabled=True,
            host_key=options["host_key"],
        )
        try:
            key = sftp.parse_host_key(options["host_key"])
        except ValueError as error:
            raise CommandError(f"--host-key: {error}") from None
        endpoint = sftp.Endpoint(host, port, username, key.text, private_key=private_key, password=password)
        report = probe_endpoint(endpoint, outbound_dir=fields.outbound_dir, inbound_dir=fields.inbound_dir)
        for line in report.lines:
            self.stdout.write(f"  {line}")
        if not report.ok:
            raise CommandError("The connection test failed; nothing was saved.")
        try:
            connection = bank_connection_save(biller=biller, actor=None, fields=fields)
        except BankConnectionError as error:
            said = "; ".join(f"{name}: {message}" if name else message for name, message in _flat(error))
            raise CommandError(f"{said} Nothing was saved.") from None
        pgp = "PGP on" if connection.pgp_bank_key else "no PGP"
        self.stdout.write(
            f"Saved {biller.slug}'s bank connection {connection.url} ({pgp}); host key {key.fingerprint}."
        )

    def _sync(self, slug: str | None) -> None:
        billers = [_biller(slug)] if slug else connected_billers()
        if not billers:
            self.stdout.write("No biller has a bank connection turned on; nothing to do.")
        for biller in billers:
            done = bank_sync(biller=biller)
            for outcome in done.deliveries:
                self.stdout.write(f"{biller.slug}: {outcome.said}")
            pickup = done.pickup
            for record in pickup.imported:
                self.stdout.write(
                    f"{biller.slug}: picked up {record.remote_name}: {record.returned} return(s), "
                    f"{record.corrected} correction(s)" + (" (imported before)" if record.status == "duplicate" else "")
                )
            for record in pickup.unreadable:
                self.stdout.write(f"{biller.slug}: could not read {record.remote_name}: {record.reason}")
            if pickup.error:
                self.stdout.write(f"{biller.slug}: pick-up failed: {pickup.error}")
            if done.late_notices:
                self.stdout.write(
                    f"{biller.slug}: {done.late_notices} file(s) late for the cut-off; the owners were told."
                )
            if not (done.deliveries or pickup.imported or pickup.unreadable or pickup.error):
                self.stdout.write(f"{biller.slug}: nothing to deliver, nothing new from the bank.")


def _flat(error: BankConnectionError) -> list[tuple[str, str]]:
    return [(name, message) for name, messages in error.errors.items() for message in messages]
