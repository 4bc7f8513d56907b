"""`remit beat`: the periodic schedule (Celery beat). Start one per installation; a second one, started
by mistake or for standby, waits for the schedule lock and takes over when the first stops
(site/beat.py)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the periodic schedule (Celery beat); a second beat waits and takes over when the first stops."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--quiet", action="store_true", help="No start-up banner.")

    def handle(self, *args: Any, **options: Any) -> None:
        from remit.celery import app

        beat = app.Beat(loglevel=options["loglevel"], quiet=options["quiet"])
        beat.run()
