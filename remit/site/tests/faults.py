"""A fault harness for tests: the servers Remit needs, on loopback, that a test can take away and give
back — PostgreSQL behind a TCP proxy the test cuts, a redis-server of the test's own that it kills and
starts again on the same port, an SMTP server it stops and starts — and real `remit web`, `remit
worker` and `remit beat` processes pointed at them. docs/architecture.md, "Faults we test", says what
each test proves."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from conftest import free_port
from remit.billers.models import Biller
from remit.notifications.models import OutboundEmail
from remit.site.tests.test_worker import wait_for
from remit.test import PASSWORD, child_env, make_biller, make_customer, make_invoice, make_portal_user
from remit.users.models import User


def need_postgresql_and_redis() -> None:
    """Skip unless the suite runs on PostgreSQL with Redis (CI's second pass): the faults are those of
    the production layout, and SQLite has no server to lose."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("Fault tests run on PostgreSQL + Redis (DATABASE_URL=postgres://…, REDIS_URL=redis://…).")


# --- PostgreSQL behind a proxy ------------------------------------------------------------------


class TcpProxy:
    """A TCP proxy on a free loopback port in front of ``upstream``. ``cut()`` makes the server
    unreachable: new connections are refused (nothing listens) and live ones are dropped;
    ``restore()`` listens again on the same port."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._live: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() below
            listener.close()
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self.start()

    @property
    def cut_off(self) -> bool:
        return self._listener is None

    stop = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    server.close()
                    return
                self._live |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._live -= {source, target}


def database_url_through(proxy: TcpProxy) -> str:
    """The test database's URL with the proxy's address in place of the server's."""
    from remit.test import database_url

    return re.sub(r"@[^/]+/", f"@127.0.0.1:{proxy.port}/", database_url(), count=1)


# --- SMTP -----------------------------------------------------------------------------------------


@dataclass
class MailServer:
    """A real SMTP server (aiosmtpd) on a free loopback port, which a test stops and starts again on
    the same port. ``hold()`` makes it keep the next message's final reply until ``release()``: the
    message is on the wire but not accepted, so a sender killed meanwhile has delivered nothing."""

    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    controller: Any = None
    holding: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def hold(self) -> None:
        self.released.clear()
        self.held.clear()
        self.holding.set()

    def release(self) -> None:
        self.holding.clear()
        self.released.set()

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID arrived (every count should be 1)."""
        return Counter(str(message["Message-ID"]) for message in list(self.messages))


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_DATA(self, _smtp: Any, _session: Any, envelope: Any) -> str:
        if self.server.holding.is_set():
            self.server.holding.clear()
            self.server.held.set()
            # If the sender dies meanwhile, aiosmtpd cancels this coroutine: nothing is accepted.
            while not self.server.released.is_set():
                await asyncio.sleep(0.05)
        self.server.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


# --- Remit's processes ----------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    killed: bool = False

    def start(self) -> None:
        with self.log.open("a") as out:
            # A session of its own: a kill takes the whole process group (a worker's pool too).
            self.popen = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL to the whole process group: no clean-up of any kind, as when a machine dies."""
        assert self.popen is not None
        self.killed = True
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def terminate(self) -> None:
        """SIGTERM to the process group: a clean stop (see ``stop``)."""
        if self.alive:
            assert self.popen is not None
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)

    def stop(self) -> None:
        """Wait for the clean stop ``terminate`` asked for; SIGKILL what is left after 20 s."""
        if self.popen is None:
            return
        self.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        with suppress(ProcessLookupError):  # what the group left behind
            os.killpg(self.popen.pid, signal.SIGKILL)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass
class Remit:
    """Remit's processes for one test, all on the same servers: web instances on free ports, workers
    on a queue of the test's own, beats with their own schedule files."""

    directory: Path
    env: dict[str, str]
    processes: dict[str, Process] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def web(self, name: str = "web", *, workers: int = 1, threads: int = 4) -> Process:
        port = self.ports[name] = free_port()
        return self._add(name, ["web", f"--bind=127.0.0.1:{port}", f"--workers={workers}", f"--threads={threads}"])

    def worker(self, name: str = "worker", *, concurrency: int = 2) -> Process:
        return self._add(name, ["worker", f"--concurrency={concurrency}", f"--queues={self.env['REMIT_QUEUE']}"])

    def beat(self, name: str = "beat") -> Process:
        return self._add(name, ["beat", "--quiet"])

    def _add(self, name: str, args: list[str]) -> Process:
        process = Process(name, [sys.executable, "-m", "remit", *args], self.env, self.directory / f"{name}.log")
        self.processes[name] = process
        process.start()
        return process

    def live_worker(self) -> Process:
        """The worker running now (a test may have killed the first and started another)."""
        [worker] = [p for p in self.processes.values() if p.command[3] == "worker" and not p.killed]
        return worker

    def all_alive(self) -> bool:
        """Every process is the one started, still running: none exited, none restarted (but those a
        test killed on purpose)."""
        return all(process.alive for process in self.processes.values() if not process.killed)

    def url(self, name: str = "web") -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def wait_ready(self, timeout: float = 90) -> None:
        """Every web answers /healthz and every worker says it is ready (but those the test killed)."""
        import requests

        def ready(process: Process) -> bool:
            if not process.alive:
                raise AssertionError(f"{process.name} exited:\n{process.text()[-3000:]}")
            if process.name in self.ports:
                try:
                    return requests.get(f"{self.url(process.name)}/healthz", timeout=5).status_code == 200
                except requests.RequestException:
                    return False
            return " ready." in process.text() if process.command[3] == "worker" else True

        for process in [process for process in self.processes.values() if not process.killed]:
            wait_for(lambda p=process: ready(p), timeout=timeout, what=f"{process.name} to be ready")

    def stop(self) -> None:
        for process in self.processes.values():  # all at once: a standby beat must not take over
            process.terminate()
        for process in self.processes.values():
            process.stop()
        for process in self.processes.values():
            print(f"--- {process.name} ---\n{process.text()[-3000:]}")


@contextmanager
def remit(directory: Path, **env: str) -> Iterator[Remit]:
    """Processes started inside the block are stopped at its end, whatever happened. They run with
    DEBUG off, as in production: an error is the visitor's error page, not Django's debug page."""
    queue = f"faults-{uuid.uuid4().hex[:12]}"
    stack = Remit(directory, child_env(REMIT_QUEUE=queue, REMIT_BEAT_RETRY_SECONDS="1", REMIT_DEBUG="0", **env))
    try:
        yield stack
    finally:
        stack.stop()


# --- Traffic --------------------------------------------------------------------------------------


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Visitor:
    """One person's browser (a requests session) on a web instance, which counts what went wrong."""

    base: str
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    session: Any = None

    def __post_init__(self) -> None:
        import requests

        self.session = requests.Session()

    def get(self, path: str, *, expect: int = 200) -> Any:
        return self._check("GET", path, expect, self.session.get(self.base + path, timeout=30))

    def submit(self, path: str, data: dict[str, str], *, expect: int = 200) -> Any:
        """GET the form at ``path`` and POST it back with ``data``, as a browser does."""
        form = self.get(path)
        data = {"csrfmiddlewaretoken": csrf_token(form.text), **data}
        headers = {"Referer": self.base + path}
        return self._check("POST", path, expect, self.session.post(self.base + path, data, headers=headers, timeout=30))

    def absorb(self, other: Visitor) -> None:
        """Count another visitor's requests and failures as this one's."""
        self.requests += other.requests
        self.failures += other.failures

    def _check(self, method: str, path: str, expect: int, response: Any) -> Any:
        self.requests += 1
        if response.status_code != expect:
            self.failures.append(f"{method} {path}: {response.status_code}")
        return response


# --- A portal with people ---------------------------------------------------------------------------


@dataclass
class Portal:
    biller: Biller
    people: list[User]
    before: int  # the last outbox row written before the test's traffic began

    @property
    def slug(self) -> str:
        return self.biller.slug

    def new_emails(self) -> list[OutboundEmail]:
        return list(OutboundEmail.objects.filter(pk__gt=self.before))


def portal_with_people(count: int) -> Portal:
    """A biller whose portal has ``count`` customers, each with an admin who can sign in with the
    production password hasher (the child processes' settings) and an invoice to look at."""
    from remit.users.hashers import Argon2idPasswordHasher

    hasher = Argon2idPasswordHasher()
    biller = make_biller("Acme Supply Co.")[0]
    people = []
    for n in range(count):
        customer = make_customer(biller, f"Customer {n}", email=f"ap@customer{n}.example")
        make_invoice(customer, amount_cents=10_000 + n)
        user = make_portal_user(customer)
        User.objects.filter(pk=user.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
        people.append(user)
    last = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first()
    return Portal(biller, people, last or 0)


def sign_in(visitor: Visitor, portal: Portal, user: User) -> None:
    response = visitor.submit(f"/{portal.slug}/signin/", {"email": user.email, "password": PASSWORD})
    if response.status_code == 200 and not response.url.rstrip("/").endswith(f"/{portal.slug}"):
        visitor.failures.append(f"sign-in of {user.email} did not reach the portal's home: {response.url}")


def browse(visitor: Visitor, portal: Portal) -> None:
    visitor.get(f"/{portal.slug}/")
    visitor.get(f"/{portal.slug}/invoices/")


def forgot_password(visitor: Visitor, portal: Portal, user: User) -> None:
    """An email queued through the portal: a password-reset link."""
    visitor.submit(f"/{portal.slug}/password/forgot/", {"email": user.email})
