"""`remit run` (what `make run` ends with): the web server and the worker (with the periodic schedule)
together; Ctrl-C stops both. In production, run `remit web`, `remit worker` and `remit beat` instead."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from remit.billers.models import Biller
from remit.site.demo import ACME_SLUG, DEMO_BANK_RULE, DEMO_LOGINS, demo_bank_folder


class Command(BaseCommand):
    help = "Run the web server and the background worker together (Ctrl-C stops both)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args: Any, **options: Any) -> None:
        # Before anything starts: a database out of reach is one line from `remit`, not two servers
        # that start and fail one after the other.
        connection.ensure_connection()
        connection.close()
        address = f"{options['host']}:{options['port']}"
        remit = [sys.executable, "-m", "remit"]
        if settings.PRODUCTION:
            web = [*remit, "web", "--bind", address]  # gunicorn, as `remit web` runs it
        else:
            web = [*remit, "runserver", address, "--noreload"]
        children = [
            subprocess.Popen(web, start_new_session=True),
            # The worker runs the periodic schedule too: one process for development.
            subprocess.Popen([*remit, "worker", "--quiet", "--beat"], start_new_session=True),
        ]
        bank = self._start_demo_bank(remit)
        self._wait_until_serving(f"http://{address}/healthz", children)
        if all(child.poll() is None for child in children):
            self._announce(f"http://{address}", bank=bank is not None)
        self._supervise(children, extras=[bank] if bank else [])

    def _start_demo_bank(self, remit: list[str]) -> subprocess.Popen[bytes] | None:
        """In development, when the demo connected Acme to the simulated bank, that bank's SFTP server
        runs too (a third child, but an optional one: if its port is taken, Remit runs without it)."""
        folder = demo_bank_folder()
        if settings.PRODUCTION or not (folder / "host_key").exists():
            return None
        command = [*remit, "bank-sim", "--sftp", str(settings.REMIT_BANK_SIM_PORT), "--dir", str(folder)]
        return subprocess.Popen([*command, "--rule", DEMO_BANK_RULE], start_new_session=True, stdout=subprocess.DEVNULL)

    def _wait_until_serving(self, url: str, children: list[subprocess.Popen[bytes]]) -> None:
        """Announce "ready" only once the web server answers, so the printed links work at once."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and children[0].poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own local address)
                    return
            except urllib.error.HTTPError:
                return  # it answers (503 means the database is down; /healthz says so)
            except OSError:
                time.sleep(0.3)

    def _announce(self, base: str, *, bank: bool = False) -> None:
        lines = [
            "",
            "Remit is ready.",
            f"  Console:  {base}/console/",
            f"  Admin:    {base}/admin/ (create an operator: remit createsuperuser)",
        ]
        if Biller.objects.filter(slug=ACME_SLUG).exists():
            lines.append(f"  Portal:   {base}/{ACME_SLUG}/")
            lines += [f"  {login.where}: {login.email} / {login.password}" for login in DEMO_LOGINS]
        if bank:
            every = int(cast(float, settings.CELERY_BEAT_SCHEDULE["bank-sync-due"]["schedule"]))
            lines.append(
                f"  Bank:     sftp://remit@127.0.0.1:{settings.REMIT_BANK_SIM_PORT} (simulated: the worker delivers "
                f"Acme's files there and picks up its returns every {every} s)"
            )
        transport = settings.REMIT_EMAIL_TRANSPORT
        lines += [f"  Email:    {transport.describe()}", "Press Ctrl-C to stop the web server and the worker.", ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _supervise(
        self, children: list[subprocess.Popen[bytes]], extras: list[subprocess.Popen[bytes]] | None = None
    ) -> None:
        stopping = False

        def stop(signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.3)
        finally:
            for child in [*children, *(extras or [])]:
                if child.poll() is None:
                    # The process itself, not its group: Celery stops its own pool (a warm shutdown
                    # that lets a running task finish).
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for child in [*children, *(extras or [])]:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                # Each child leads its own process group (start_new_session); whatever is left in it
                # now — a pool process orphaned by a worker stopped mid-start-up — goes too.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            self.stdout.write("Stopped the web server and the worker.\n")
        failed = [child for child in children if child.returncode not in (0, -signal.SIGTERM, None)]
        if not stopping and failed:
            sys.exit(1)
