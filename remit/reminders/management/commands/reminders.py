"""`remit reminders run [--today YYYY-MM-DD]`: one round of reminders and late fees by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from remit.lib.command_args import date_argument
from remit.lib.money import format_cents
from remit.reminders.engine import reminders_run
from remit.reminders.models import describe_offset


class Command(BaseCommand):
    help = "Payment reminders: run one round by hand."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Send the reminders and add the late fees that are due.")
        run.add_argument("--today", help="Act as if today were YYYY-MM-DD for every biller.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = date_argument(options["today"]) if options.get("today") else None
        report = reminders_run(today=today)
        for number, cents in report.late_fees:
            self.stdout.write(f"Late fee {format_cents(cents)} added to invoice {number}")
        for sent in report.sent:
            scheduled = f", {format_cents(sent.scheduled_cents)} scheduled" if sent.scheduled_cents else ""
            self.stdout.write(
                f"{sent.biller} · invoice {sent.invoice} · {sent.customer} · {describe_offset(sent.offset_days)} · "
                f"{format_cents(sent.left_cents)} left{scheduled} → {', '.join(sent.recipients)}"
            )
        self.stdout.write(
            f"Sent {len(report.sent)} reminder(s) ({report.emails} email(s)); "
            f"added {len(report.late_fees)} late fee(s)."
        )
