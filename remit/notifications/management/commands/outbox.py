from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from remit.notifications.actions import outbox_deliver_due
from remit.notifications.models import OutboundEmail


class Command(BaseCommand):
    help = "Look at the email outbox, or deliver what is due now (without the worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["status", "deliver"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "deliver":
            results = outbox_deliver_due()
            delivered = sum(r.delivered for r in results)
            failed = [r for r in results if r.claimed and not r.delivered]
            self.stdout.write(f"Delivered {delivered} email(s).")
            for result in failed:
                self.stderr.write(f"Email {result.email_id} failed: {result.error} (will be retried)")
            if failed:
                raise CommandError(f"{len(failed)} email(s) could not be delivered.")
            return
        counts = dict(OutboundEmail.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
        for status in OutboundEmail.Status:
            self.stdout.write(f"{status.label}: {counts.get(status.value, 0)}")
