"""`remit ach export | settle | import-returns | return-rates`: the ACH duties the worker also does by
itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from remit.ach.export import AchError, ach_export
from remit.ach.hooks import file_written
from remit.ach.models import AchSettings
from remit.ach.return_rate_alerts import CheckResult, rate_lines, return_rates_check
from remit.ach.return_rate_data import return_rates
from remit.ach.returns import ReturnFileError, ach_import_returns
from remit.ach.settle import ach_settle
from remit.ach.stored import import_outbound
from remit.billers.models import Biller
from remit.lib.command_args import date_argument
from remit.lib.money import format_cents


class Command(BaseCommand):
    help = "ACH files: export scheduled payments, settle, import the bank's returns."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the NACHA file of each biller for a date.")
        export.add_argument("--date", help="Effective date YYYY-MM-DD (default: the next banking day).")
        export.add_argument("--biller", help="Only this biller (its portal slug).")
        settle = sub.add_parser("settle", help="Settle sent payments that were not returned in time.")
        settle.add_argument("--today", help="Act as if today were YYYY-MM-DD.")
        returns = sub.add_parser("import-returns", help="Import a return / notification-of-change file.")
        returns.add_argument("file")
        returns.add_argument("--biller", help="Match traces of this biller only.")
        adopt = sub.add_parser(
            "import-outbound", help="Put recorded NACHA files written to a local folder before into the file store."
        )
        adopt.add_argument("directory", nargs="?", help="Default: $REMIT_DATA_DIR/ach/outbound.")
        rates = sub.add_parser("return-rates", help="Print return rates against NACHA's thresholds; alert owners.")
        rates.add_argument("--biller", help="Only this biller (its portal slug).")
        rates.add_argument("--date", help="Only print the figures of the 60 days to YYYY-MM-DD (no check, no email).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "export":
            self._export(options)
        elif action == "settle":
            today = date_argument(options["today"]) if options.get("today") else None
            self.stdout.write(f"Settled {ach_settle(today=today)} payment(s).")
        elif action == "return-rates":
            self._return_rates(options)
        elif action == "import-outbound":
            folder = Path(options["directory"] or Path(settings.DATA_DIR) / "ach" / "outbound")
            stored, missing, changed = import_outbound(folder)
            self.stdout.write(
                f"Put {stored} file(s) from {folder} into the file store; {missing} recorded file(s) are in "
                f"neither, {changed} in {folder} differ from their recorded SHA-256 (left out)."
            )
        else:
            self._import(options)

    def _billers(self, slug: str | None) -> list[Biller]:
        if slug:
            biller = Biller.objects.filter(slug=slug).first()
            if biller is None:
                raise CommandError(f"No biller has the portal address “{slug}”.")
            return [biller]
        return [ach.biller for ach in AchSettings.objects.select_related("biller").order_by("biller__slug")]

    def _return_rates(self, options: dict[str, Any]) -> None:
        day = date_argument(options["date"]) if options.get("date") else None
        billers = self._billers(options.get("biller"))
        if not billers:
            self.stdout.write("No biller has ACH settings yet; no return rates.")
        for biller in billers:
            # The check (crossings, emails) is about today; another day's figures are only printed.
            result = CheckResult(return_rates(biller, day=day)) if day else return_rates_check(biller=biller)
            for line in rate_lines(biller, result, checked=day is None):
                self.stdout.write(line)

    def _export(self, options: dict[str, Any]) -> None:
        day = date_argument(options["date"]) if options.get("date") else None
        billers = self._billers(options.get("biller"))
        if not billers:
            self.stdout.write("No biller has ACH settings yet; nothing to export.")
        for biller in billers:
            try:
                result = ach_export(biller=biller, effective_date=day)
            except AchError as error:
                raise CommandError(f"{biller.slug}: {error}") from None
            if result.file is None:
                self.stdout.write(f"{biller.slug}: nothing scheduled for that date; no file written.")
                continue
            record = result.file
            self.stdout.write(
                f"{biller.slug}: wrote ach/outbound/{record.filename}: {result.payments} payment(s), "
                f"{format_cents(record.total_debit_cents)} in debits, effective {record.effective_date:%Y-%m-%d}, "
                f"SHA-256 {record.sha256}"
            )
            file_written(record.pk)  # committed: a worker delivers it to the bank when there is a connection
            if result.moved:
                self.stdout.write(f"  {len(result.moved)} late payment(s) moved to this date; their payers were told.")

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file.") from None
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{path}: not an ACH file (byte {error.start} is not ASCII). Nothing was imported."
            ) from None
        biller = self._billers(options["biller"])[0] if options.get("biller") else None
        try:
            result = ach_import_returns(text=text, filename=path.name, biller=biller)
        except ReturnFileError as error:
            raise CommandError(f"{path.name}: {error}. Nothing was imported.") from None
        if result.already_imported:
            self.stdout.write(f"{path.name} was imported before; nothing changed.")
            return
        self.stdout.write(
            f"Imported {path.name}: {result.returned} return(s), {result.corrected} correction(s), "
            f"{result.blocked_accounts} bank account(s) blocked."
        )
        if result.retries:
            self.stdout.write(f"  {result.retries} retry(ies) scheduled (R01/R09, by the retry policy).")
        if result.dishonored or result.offset_returns or result.unchanged:
            self.stdout.write(
                f"  {result.dishonored} dishonored or contested return(s) ({result.restored} payment(s) restored), "
                f"{result.offset_returns} returned offset(s), {result.unchanged} entry(ies) answered before."
            )
        if result.not_ours:
            self.stdout.write(f"  {result.not_ours} entry(ies) not ours, left alone:")
            assert result.inbound is not None
            for row in result.inbound.foreign_entries.all():
                self.stdout.write(
                    f"    line {row.line}: batch {row.batch_number} ({row.company_name or row.company_id}), "
                    f"trace {row.trace_number}, {format_cents(row.amount_cents)}: {row.reason}"
                )
