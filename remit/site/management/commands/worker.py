"""`remit worker`: the background worker (Celery). It runs tasks only; the periodic schedule is
`remit beat`'s, or this worker's with `--beat` (what `remit run` starts, for development)."""

import argparse
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background worker (Celery); with --beat it also runs the periodic schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--beat",
            action="store_true",
            help="Also run the periodic schedule in this worker (one schedule per installation: a second "
            "beat waits for the schedule lock).",
        )
        parser.add_argument("--no-beat", action="store_true", help=argparse.SUPPRESS)  # the old default's opt-out
        parser.add_argument("--concurrency", type=int, default=min(os.cpu_count() or 1, 4))
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--quiet", action="store_true", help="No start-up banner.")
        parser.add_argument("--queues", default=settings.CELERY_TASK_DEFAULT_QUEUE)

    def handle(self, *args: Any, **options: Any) -> None:
        from remit.celery import app

        argv = [
            "worker",
            f"--loglevel={options['loglevel']}",
            f"--concurrency={options['concurrency']}",
            f"--queues={options['queues']}",
            f"--hostname=remit-{os.getpid()}@%h",
        ]
        if options["quiet"]:
            argv.insert(0, "--quiet")  # a global option: it goes before the "worker" sub-command
        if options["beat"] and not options["no_beat"]:
            argv += ["--beat"]
        app.worker_main(argv=argv)
