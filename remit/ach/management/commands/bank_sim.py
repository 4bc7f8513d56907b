"""`remit bank-sim FILE --return TRACE=R01 … [--rule ending=DIGITS:CODE]`: for demos and tests, the
return file a bank would send back for an outbound NACHA file Remit wrote."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from remit.ach.bank_sim import returns_for
from remit.ach.nacha import NachaError
from remit.ach.reader import ParsedEntry


class Command(BaseCommand):
    help = "Write the return / notification-of-change file a bank would send for an outbound file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="An outbound file, e.g. var/ach/outbound/….ach")
        parser.add_argument("--return", dest="returns", action="append", default=[], help="TRACE=R01")
        parser.add_argument("--correct", action="append", default=[], help="TRACE=C01:corrected data")
        parser.add_argument(
            "--rule", action="append", default=[], help="ending=DIGITS:CODE — return accounts ending in DIGITS"
        )
        parser.add_argument("--out", help="Where to write it (default: next to the file, .returns.ach)")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["file"])
        if not source.exists():
            raise CommandError(f"{source}: no such file.")
        returns = dict(_pair(item, "--return") for item in options["returns"])
        corrections = {}
        for item in options["correct"]:
            trace, change = _pair(item, "--correct")
            code, _, data = change.partition(":")
            corrections[trace] = (code, data)
        rules = [_rule(item) for item in options["rule"]]

        def rule(entry: ParsedEntry) -> str | None:
            for ending, code in rules:
                if entry.account_number.strip().endswith(ending):
                    return code
            return None

        try:
            text = returns_for(
                source.read_text(encoding="ascii"),
                returns=returns,
                corrections=corrections,
                rule=rule if rules else None,
                today=date.today(),
            )
        except (NachaError, ValueError) as error:
            raise CommandError(str(error)) from None
        out = Path(options["out"]) if options.get("out") else source.with_suffix(".returns.ach")
        out.write_text(text, encoding="ascii")
        self.stdout.write(f"Wrote {out}")


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
