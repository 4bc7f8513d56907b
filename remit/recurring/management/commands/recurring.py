"""`remit recurring run [--today YYYY-MM-DD]`: one round of what the worker does by itself."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from remit.lib.command_args import date_argument
from remit.lib.money import format_cents
from remit.recurring.issuing import recurring_run
from remit.recurring.models import IssueStatus, RecurringIssue


def describe(issue: RecurringIssue) -> str:
    template = issue.template
    head = f"{template.biller.slug}: {template.customer.name}, {issue.scheduled_on:%Y-%m-%d}"
    if issue.status == IssueStatus.ISSUED and issue.invoice is not None:
        sent = "emailed" if issue.emailed else issue.note or "not emailed"
        return f"{head}: issued {issue.invoice.number} for {format_cents(issue.invoice.total_cents)}, {sent}"
    if issue.status == IssueStatus.REVIEW:
        return f"{head}: held for review"
    return f"{head}: skipped ({issue.note})"


class Command(BaseCommand):
    help = "Recurring invoices: issue every date that has come."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Issue the recurring invoices whose date has come, once each.")
        run.add_argument("--today", help="Act as if today were YYYY-MM-DD (default: each biller's today).")

    def handle(self, *args: Any, **options: Any) -> None:
        today = date_argument(options["today"]) if options.get("today") else None
        report = recurring_run(today=today)
        for issue in report.issues:
            self.stdout.write(describe(issue))
        issued = len(report.of(IssueStatus.ISSUED))
        held = len(report.of(IssueStatus.REVIEW))
        self.stdout.write(f"Issued {issued} recurring invoice(s); {held} held for review.")
