"""`remit bank-sim FILE --return TRACE=R01 … [--rule ending=DIGITS:CODE]`: for demos and tests, the
return file a bank would send back for an outbound NACHA file Remit wrote.

`remit bank-sim --sftp PORT [--dir DIR] [--rule ending=DIGITS:CODE]`: the bank as a real SFTP server
on 127.0.0.1 (``remit.ach.bank_sim_sftp``): files delivered to ``/to-bank`` are answered, by the
rules, with return files in ``/from-bank``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from remit.ach.bank_sim import returns_for
from remit.ach.bank_sim_sftp import SimulatedBank, run_forever
from remit.ach.nacha import NachaError
from remit.ach.reader import ParsedEntry


class Command(BaseCommand):
    help = "Write the return / notification-of-change file a bank would send for an outbound file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", help="An outbound file, e.g. one `remit files export DIR --prefix ach/outbound` wrote"
        )
        parser.add_argument("--return", dest="returns", action="append", default=[], help="TRACE=R01")
        parser.add_argument("--correct", action="append", default=[], help="TRACE=C01:corrected data")
        parser.add_argument(
            "--rule", action="append", default=[], help="ending=DIGITS:CODE — return accounts ending in DIGITS"
        )
        parser.add_argument("--out", help="Where to write it (default: next to the file, .returns.ach)")
        parser.add_argument("--sftp", type=int, metavar="PORT", help="Serve SFTP on 127.0.0.1:PORT instead")
        parser.add_argument("--dir", help="The SFTP bank's folder (default: $REMIT_DATA_DIR/bank-sim)")
        parser.add_argument("--user", default="remit", help="The SFTP user name (default: remit)")
        parser.add_argument("--password-env", help="Also let the user in with the password in this variable")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("sftp"):
            self._serve(options)
            return
        if not options.get("file"):
            raise CommandError("Give an outbound FILE, or --sftp PORT to run the bank's SFTP server.")
        source = Path(options["file"])
        if not source.exists():
            raise CommandError(f"{source}: no such file.")
        returns = dict(_pair(item, "--return") for item in options["returns"])
        corrections = {}
        for item in options["correct"]:
            trace, change = _pair(item, "--correct")
            code, _, data = change.partition(":")
            corrections[trace] = (code, data)
        rule = _rule_of(options["rule"])
        try:
            text = returns_for(
                source.read_text(encoding="ascii"),
                returns=returns,
                corrections=corrections,
                rule=rule,
                today=date.today(),
            )
        except (NachaError, ValueError) as error:
            raise CommandError(str(error)) from None
        out = Path(options["out"]) if options.get("out") else source.with_suffix(".returns.ach")
        out.write_text(text, encoding="ascii")
        self.stdout.write(f"Wrote {out}")

    def _serve(self, options: dict[str, Any]) -> None:
        folder = Path(options["dir"]) if options.get("dir") else Path(settings.DATA_DIR) / "bank-sim"
        password = ""
        if options.get("password_env"):
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(f"The environment variable {options['password_env']} is empty or not set.")
        bank = SimulatedBank(folder, username=options["user"], password=password, rule=_rule_of(options["rule"]))
        port = options["sftp"]
        self.stdout.write(
            f"The simulated bank serves sftp://{options['user']}@127.0.0.1:{port} from {folder}/sftp "
            f"(keys allowed in {folder}/authorized_keys{', or the password' if password else ''}). Ctrl-C stops it."
        )
        self.stdout.flush()
        try:
            asyncio.run(run_forever(bank, "127.0.0.1", port))
        except OSError as error:
            raise CommandError(f"Could not serve on 127.0.0.1:{port}: {error.strerror or error}") from None
        except KeyboardInterrupt:
            self.stdout.write("The simulated bank stopped.")


def _rule_of(items: list[str]) -> Callable[[ParsedEntry], str | None] | None:
    """The --rule options as one rule: the code of the first ending an entry's account number has."""
    rules = [_rule(item) for item in items]
    if not rules:
        return None

    def rule(entry: ParsedEntry) -> str | None:
        for ending, code in rules:
            if entry.account_number.strip().endswith(ending):
                return code
        return None

    return rule


def _pair(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise CommandError(f"{option} takes TRACE=CODE, not “{text}”.")
    return key.strip(), value.strip()


def _rule(text: str) -> tuple[str, str]:
    key, value = _pair(text, "--rule")
    digits, _, code = value.partition(":")
    if key != "ending" or not digits.isdigit() or not code:
        raise CommandError(f"--rule takes ending=DIGITS:CODE, e.g. ending=0001:R01, not “{text}”.")
    return digits, code
