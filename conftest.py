"""Fixtures shared by every test: fast hashing, a mail folder per test, a real SMTP server, a browser."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings

from remit.celery import app as celery_app
from remit.lib.email_url import EmailTransport
from remit.test import read_eml

SCREENSHOTS = Path(django_settings.DATA_DIR) / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--today",
        metavar="YYYY-MM-DD",
        help="Run as if today were this date (10:00 in New York, the clock ticking): finds tests that pass "
        "only on some days (a weekend, a bank holiday, a month's end). Processes the tests start keep the real date.",
    )


@pytest.fixture(autouse=True, scope="session")
def _today(request: pytest.FixtureRequest) -> Iterator[None]:
    wanted = request.config.getoption("--today")
    if not wanted:
        yield
        return
    import time_machine

    moment = datetime.combine(date.fromisoformat(wanted), time(10, 0), tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> None:
    # Argon2 is what production uses (see test_settings); tests hash thousands of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REMIT_EMAIL_TRANSPORT = EmailTransport(scheme="file", directory=tmp_path / "mail")
    # Django's test set-up swaps in an in-memory backend; Remit's tests read what really went out.
    settings.EMAIL_BACKEND = "remit.notifications.backend.OutboxBackend"
    # Tasks queued by on_commit run in-process; tests that need a real worker start one.
    celery_app.conf.task_always_eager = True


@pytest.fixture
def mail_dir(settings: Any) -> Path:
    return settings.REMIT_EMAIL_TRANSPORT.directory


@pytest.fixture
def mailbox(mail_dir: Path) -> Any:
    """Every email delivered to the file transport during this test, oldest first."""

    def read() -> list[EmailMessage]:
        if not mail_dir.exists():
            return []
        return [read_eml(path) for path in sorted(mail_dir.glob("*.eml"))]

    return read


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpServer:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    controller: Any = None

    @property
    def transport(self) -> EmailTransport:
        return EmailTransport(scheme="smtp", host="127.0.0.1", port=self.port, timeout=5)

    def start(self) -> None:
        import email
        import email.policy

        from aiosmtpd.controller import Controller

        server = self

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                server.messages.append(message)
                server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free local port; Remit's email transport points at it."""
    server = SmtpServer(port=free_port())
    server.start()
    settings.REMIT_EMAIL_TRANSPORT = server.transport
    yield server
    server.stop()


@dataclass
class RedisServer:
    """A real redis-server of the test's own, on a free local port, that the test may stop and start."""

    port: int
    directory: Path
    process: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import shutil
        import subprocess
        import time

        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("This test needs Debian's redis-server (apt-get install redis-server).")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: Redis is gone at once, with whatever it held (it saves nothing to disk here)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(port=free_port(), directory=tmp_path)
    server.start()
    yield server
    server.stop()


# --- Browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Browser tests need Debian's chromium at /usr/bin/chromium: run 'make test' (it installs it).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the Django calls tests make between
    # browser steps are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on(
        "response",
        lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    page.failed_responses = failed
    page.console_errors = errors
    yield page
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under var/screenshots/ (look at them: ugly pages are bugs)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Run on_commit callbacks (outbox delivery) inside ordinary transactional tests."""
    return django_capture_on_commit_callbacks


def axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical accessibility violations on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[node['target'] for node in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


# Text the reader cannot see without scrolling sideways: outside the viewport, or cut off by an
# ancestor that clips or scrolls horizontally. Visually hidden text (clip) and the skip link are
# meant to be off screen; text in a closed menu has no boxes at all.
_CUT_OFF_TEXT_JS = """(scrollingBoxesOk) => {
  const width = document.documentElement.clientWidth;
  const offScreenOnPurpose = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.clip !== 'auto' || style.visibility === 'hidden' || e.matches('.skip-link')) return true;
    }
    return false;
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || ['SCRIPT', 'STYLE', 'OPTION', 'TEXTAREA'].includes(el.tagName)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0);
    if (!rects.length || offScreenOnPurpose(el)) continue;
    const left = Math.min(...rects.map((r) => r.left));
    const right = Math.max(...rects.map((r) => r.right));
    let low = -Infinity, high = Infinity, scrolls = false;
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      const overflow = getComputedStyle(e).overflowX;
      if (overflow === 'visible') continue;
      // The reader scrolls this box to reach the text; the box itself fits the page (or the page overflows).
      if (scrollingBoxesOk && (overflow === 'auto' || overflow === 'scroll')) { scrolls = true; break; }
      const box = e.getBoundingClientRect();
      low = Math.max(low, box.left + e.clientLeft);
      high = Math.min(high, box.left + e.clientLeft + e.clientWidth);
    }
    if (!scrolls) { low = Math.max(low, 0); high = Math.min(high, width); }
    if (left < low - 1 || right > high + 1) {
      const where = `${Math.round(left)}–${Math.round(right)} px, visible ${Math.round(low)}–${Math.round(high)} px`;
      found.push(`"${node.textContent.trim().slice(0, 40)}" at ${where}`);
    }
  }
  return found;
}"""


def cut_off_text(page: Any, *, scrolling_boxes_ok: bool = False) -> list[str]:
    """Text on the page that can't be read without scrolling sideways (see _CUT_OFF_TEXT_JS).
    With ``scrolling_boxes_ok``, text a reader reaches by scrolling its own box (a wide table) is fine."""
    return list(page.evaluate(_CUT_OFF_TEXT_JS, scrolling_boxes_ok))


def page_overflow(page: Any) -> int:
    """How many pixels wider than the window the page is (0: it never scrolls sideways as a whole)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.fixture
def world(db: Any) -> Any:
    """Acme (owner), Globex (admin, member) and an outsider from Initech: see ``remit.test.World``."""
    from remit.test import make_world

    return make_world()


@dataclass
class S3Store:
    """A bucket of its own on a real S3 server on loopback (moto's, in a thread), and this test's
    ``storages["files"]`` set to it. ``env``: the same store for a `remit` child process."""

    endpoint: str
    bucket: str
    env: dict[str, str]


S3_KEYS = {"REMIT_S3_ACCESS_KEY_ID": "testing", "REMIT_S3_SECRET_ACCESS_KEY": "testing", "REMIT_S3_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def _s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_store(_s3_server: str, settings: Any) -> S3Store:
    import uuid

    import boto3

    bucket = f"remit-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=_s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket,
        "endpoint_url": _s3_server,
        "access_key": "testing",
        "secret_key": "testing",
        "region_name": "us-east-1",
        "file_overwrite": True,
        "default_acl": None,
        "addressing_style": "path",
    }
    s3 = {
        "BACKEND": "remit.files.storage.SealedStorage",
        "OPTIONS": {"backend": "storages.backends.s3.S3Storage", "options": options},
    }
    settings.STORAGES = {**settings.STORAGES, "files": s3}
    env = {
        "REMIT_FILE_STORE": "s3",
        "REMIT_S3_BUCKET": bucket,
        "REMIT_S3_ENDPOINT_URL": _s3_server,
        "REMIT_S3_ADDRESSING_STYLE": "path",
        **S3_KEYS,
    }
    return S3Store(endpoint=_s3_server, bucket=bucket, env=env)
