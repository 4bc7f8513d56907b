"""`remit loadtest` (what `make loadtest` runs): issue 16's scenario under load against a production
layout on this machine, headless, and the table of its figures with the goals beside them.

As `remit bench`, the command the operator runs makes a temporary folder and runs itself again in it
(`--folder`); that run makes its own database (``<configured name>_loadtest`` on the configured
PostgreSQL server), seeds it (world.py), starts `remit web` twice and `remit worker` with production
settings (layout.py), runs locust once per step of users (scenario.py), prints the figures (report.py),
and stops the processes and drops the database however it ends, Ctrl-C included."""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from remit.bench.database import bench_database
from remit.bench.folder import keep_interrupts, run_in_temporary_folder
from remit.bench.loadtest import cpu
from remit.bench.loadtest.layout import BASE_URL, Layout, production_environment, running
from remit.bench.loadtest.report import Sample, Step, report, step
from remit.bench.loadtest.world import keep_pdfs, seed_world
from remit.notifications import actions as notifications_actions

SETTLE_SECONDS = 5.0  # after the last user started, before the measured window: their sign-ins settle
# By path, not imported: locust patches the process it is imported in (gevent).
SCENARIO = Path(__file__).resolve().parents[2] / "loadtest" / "scenario.py"
PASS_ON = ("unsent", "seconds", "ramp_seconds", "customers", "invoices", "redis_url", "web_workers", "web_threads")


def user_steps(raw: str) -> tuple[int, ...]:
    try:
        steps = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        steps = ()
    if not steps or any(users < 1 for users in steps):
        raise argparse.ArgumentTypeError(f"{raw!r}: give numbers of users separated by commas, e.g. 20,50")
    return steps


def stop_on_signals() -> None:
    """SIGINT (Ctrl-C, which the parent passes on) and SIGTERM both stop the run through its clean-up —
    also when it was started with SIGINT ignored, as a shell script's background job is."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def at_least_one(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw!r}: give a whole number, 1 or more")
    return value


def seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{raw!r}: give a number of seconds above 0")
    return value


class Command(BaseCommand):
    help = "Load the portal and console as issue 16 does, against a production layout here, and print the figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--users", type=user_steps, default=(20, 50), metavar="N,N", help="The steps of users (20,50)."
        )
        parser.add_argument("--seconds", type=seconds, default=60.0, help="Measured seconds per step, after ramp-up.")
        parser.add_argument("--ramp-seconds", type=seconds, default=5.0, help="Seconds to start a step's users.")
        parser.add_argument(
            "--customers", type=at_least_one, default=40, help="Customer accounts (two portal users each)."
        )
        parser.add_argument("--invoices", type=at_least_one, default=20, help="Invoices per customer account.")
        parser.add_argument(
            "--redis-url",
            default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
            help="The Redis db of the run (REDIS_URL; else db 15 on 127.0.0.1).",
        )
        parser.add_argument("--web-workers", type=at_least_one, help="Processes per `remit web` (default: the cores).")
        parser.add_argument("--web-threads", type=at_least_one, help="Threads per process (`remit web`'s default).")
        parser.add_argument(
            "--unsent",
            action="store_true",
            help="Invoices never emailed: every first download of an invoice's PDF draws it (by default each "
            "invoice was emailed, which draws and keeps its PDF).",
        )
        parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)  # the run's own (see above)

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "The load test runs on PostgreSQL, as production does: set DATABASE_URL=postgres://USER@HOST:PORT/NAME "
                "(it makes and drops NAME_loadtest there)."
            )
        if options["folder"] is None:
            status = run_in_temporary_folder(self._command(options))
            if status:
                sys.exit(status)
            return
        folder = options["folder"].resolve()
        if folder != Path(settings.DATA_DIR).resolve():
            raise CommandError("--folder is for `remit loadtest` itself: run `remit loadtest` without it.")
        keep_interrupts()
        stop_on_signals()
        notifications_actions._request_delivery = lambda email_id: None  # while seeding: no worker yet
        with bench_database(folder, suffix="_loadtest") as url:
            started = time.perf_counter()
            logins = seed_world(customers=options["customers"], invoices=options["invoices"])
            logins.write(folder / "logins.json")
            kept = 0 if options["unsent"] else keep_pdfs(logins.slug, base_url=BASE_URL)
            self.stderr.write(
                f"Seeded {options['customers']} customer accounts × {options['invoices']} invoices, "
                f"{len(logins.portal)} portal and {len(logins.console)} console logins, {kept} PDFs kept, in "
                f"{time.perf_counter() - started:.0f} s."
            )
            env = production_environment(folder=folder, database_url=url, redis_url=options["redis_url"])
            layout = Layout(folder=folder, env=env, web_options=self._web_options(options))
            with running(layout):
                self.stderr.write(f"Production layout up: web at {', '.join(layout.hosts)}, one worker.")
                steps = [self._step(layout, users, options) for users in options["users"]]
        self.stdout.write("\n" + report(steps))

    def _command(self, options: dict[str, Any]) -> list[str]:
        command = [sys.executable, "-m", "remit", "loadtest", "--users", ",".join(map(str, options["users"]))]
        for name in PASS_ON:
            if options[name] is True:
                command.append(f"--{name}")
            elif options[name] not in (None, False):
                command += [f"--{name.replace('_', '-')}", str(options[name])]
        return command

    def _web_options(self, options: dict[str, Any]) -> list[str]:
        chosen = {"--workers": options["web_workers"], "--threads": options["web_threads"]}
        return [f"{flag}={value}" for flag, value in chosen.items() if value is not None]

    def _step(self, layout: Layout, users: int, options: dict[str, Any]) -> Step:
        """One locust run of ``users`` (and the /healthz probe): ramp up, settle, measure."""
        samples_file = layout.folder / f"samples-{users}.json"
        ramp = options["ramp_seconds"]
        run_time = ramp + SETTLE_SECONDS + options["seconds"]
        command = [
            sys.executable,
            "-m",
            "locust",
            f"--locustfile={SCENARIO}",
            "--headless",
            "--only-summary",
            "--loglevel=WARNING",
            f"--users={users + 1}",  # the /healthz probe besides the users
            f"--spawn-rate={max((users + 1) / max(ramp, 0.1), 1):.2f}",
            f"--run-time={run_time:.0f}s",
            "--stop-timeout=5",
            "--exit-code-on-error=0",
            f"--host={layout.hosts[0]}",
        ]
        env = {
            **os.environ,
            "LOADTEST_HOSTS": ",".join(layout.hosts),
            "LOADTEST_LOGINS": str(layout.folder / "logins.json"),
            "LOADTEST_SAMPLES": str(samples_file),
        }
        self.stderr.write(f"{users} users: {ramp:.0f} s ramp-up, then {options['seconds']:.0f} s measured…")
        before = self._cpu(layout)
        with (layout.folder / f"locust-{users}.log").open("wb") as log:
            done = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
        after = self._cpu(layout)
        if done.returncode or not samples_file.exists():
            log_text = (layout.folder / f"locust-{users}.log").read_text(errors="replace")
            raise CommandError(f"locust failed ({done.returncode}):\n{log_text[-3000:]}")
        data = json.loads(samples_file.read_text())
        samples = [Sample(at, name, ms, error) for at, name, ms, error in data["samples"]]
        start = (data["spawned"] or min((s.at for s in samples), default=0.0)) + SETTLE_SECONDS
        spent = {group: after[group] - before[group] for group in after}
        return step(
            users, samples, start=start, end=start + options["seconds"], load=os.getloadavg()[0], cpu_seconds=spent
        )

    def _cpu(self, layout: Layout) -> dict[str, float]:
        """CPU seconds so far of the web instances, the worker, the run's PostgreSQL backends, and
        locust (a child that has ended: counted in this process's children's usage)."""
        table = cpu.processes()
        webs = [process.pid for name, process in layout.processes.items() if name.startswith("web")]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "web": cpu.tree_seconds(webs, table),
            "worker": cpu.tree_seconds([layout.processes["worker"].pid], table),
            "PostgreSQL": cpu.matching_seconds(str(connection.settings_dict["NAME"]), table),
            "locust": children.ru_utime + children.ru_stime,
        }
