"""The production layout `make loadtest` runs against, on this machine: `remit web` twice (two ports)
and one `remit worker`, with production settings, on the load test's own database and Redis db. Each
process writes its log into the run's folder; ``stopped`` ends them however the run ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
from django.conf import settings
from django.core.management.base import CommandError

REMIT = [sys.executable, "-m", "remit"]
BASE_URL = "https://127.0.0.1"  # the layout's REMIT_BASE_URL (the PDFs kept while seeding print it too)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_environment(*, folder: Path, database_url: str, redis_url: str) -> dict[str, str]:
    """Production settings, as an operator's environment file would give them (behind a proxy that
    speaks HTTPS), on the run's own database, Redis db, queue and folder."""
    return {
        **os.environ,
        "REMIT_ENV": "production",
        "REMIT_BASE_URL": BASE_URL,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REMIT_QUEUE": f"loadtest-{uuid.uuid4().hex[:12]}",
        "REMIT_DATA_DIR": str(folder),
        "EMAIL_URL": f"file://{folder / 'mail'}",
        # The keys the world was made with (its bank accounts are encrypted with them).
        "SECRET_KEY": settings.SECRET_KEY,
        "REMIT_ENCRYPTION_KEYS": ",".join(settings.REMIT_ENCRYPTION_KEYS),
    }


@dataclass
class Layout:
    folder: Path
    env: dict[str, str]
    web_options: list[str] = field(default_factory=list)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)

    def start(self, name: str, command: list[str]) -> None:
        with (self.folder / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_ready(self, *, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        pending = set(self.hosts)
        while pending or " ready." not in self.log("worker"):
            for name, process in self.processes.items():
                if process.poll() is not None:
                    log = self.log(name)[-3000:]
                    raise CommandError(f"{name} stopped at start (is Redis at REDIS_URL reachable?):\n{log}")
            if time.monotonic() > deadline:
                raise CommandError(f"Not ready after {timeout:.0f} s: {', '.join(pending) or 'the worker'}.")
            for host in list(pending):
                if answers(f"{host}/healthz"):
                    pending.discard(host)
            time.sleep(0.5)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # gunicorn and Celery stop gracefully on it
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.forget_queue()

    def forget_queue(self) -> None:
        """Remove the run's queue from Redis (Celery leaves its bindings behind): the db holds nothing of it."""
        queue = self.env["REMIT_QUEUE"]
        try:
            client = redis.Redis.from_url(self.env["REDIS_URL"], socket_timeout=2)
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        except redis.RedisError:
            pass  # Redis away: nothing to tidy, and the run's figures are printed all the same


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own http://127.0.0.1)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running(layout: Layout, *, webs: int = 2) -> Iterator[Layout]:
    """`remit collectstatic` (production serves the hashed, compressed files), then the worker and
    ``webs`` web instances, each on a port of its own; stopped at the end, also on Ctrl-C."""
    subprocess.run([*REMIT, "collectstatic", "--no-input", "-v", "0"], env=layout.env, check=True)
    try:
        layout.start("worker", [*REMIT, "worker", "--quiet", f"--queues={layout.env['REMIT_QUEUE']}"])
        for n in range(1, webs + 1):
            port = free_port()
            layout.hosts.append(f"http://127.0.0.1:{port}")
            layout.start(f"web-{n}", [*REMIT, "web", f"--bind=127.0.0.1:{port}", *layout.web_options])
        layout.wait_ready()
        yield layout
    finally:
        layout.stop()
