"""`remit web`: gunicorn with threads, sized from the cores, an access log on standard output, and a
graceful reload on SIGHUP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port
from remit.site.management.commands.web import gunicorn_command, web_defaults
from remit.site.tests.test_worker import wait_for
from remit.test import child_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db]


def test_the_defaults_are_a_process_per_core_with_four_threads_each_and_the_environment_overrides_them(
    monkeypatch,
):
    web = ("REMIT_WEB_BIND", "REMIT_WEB_WORKERS", "REMIT_WEB_THREADS", "REMIT_WEB_TIMEOUT", "REMIT_WEB_KEEPALIVE")
    for name in ("HOST", "PORT", *web):
        monkeypatch.delenv(name, raising=False)
    assert web_defaults() == {
        "bind": "127.0.0.1:8000",
        "workers": os.cpu_count(),
        "threads": 4,
        "timeout": 30,
        "keep_alive": 150,
    }

    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("REMIT_WEB_THREADS", "8")
    monkeypatch.setenv("REMIT_WEB_WORKERS", "3")
    defaults = web_defaults()
    assert (defaults["bind"], defaults["workers"], defaults["threads"]) == ("127.0.0.1:9000", 3, 8)
    command = gunicorn_command(**defaults)
    assert "--worker-class=gthread" in command and "--threads=8" in command and "--access-logfile=-" in command
    assert "--keep-alive=150" in command  # longer than the proxy keeps its idle connections


def test_web_serves_logs_each_request_and_reloads_on_sighup(tmp_path: Path):
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("w") as out:
        web = subprocess.Popen(
            [sys.executable, "-m", "remit", "web", f"--bind=127.0.0.1:{port}", "--workers=1", "--threads=2"],
            env=child_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def healthz() -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return int(response.status)
        except OSError:
            return 0

    try:
        wait_for(lambda: healthz() == 200, timeout=60, what="remit web to answer")
        wait_for(lambda: '"GET /healthz HTTP/1.1" 200' in log.read_text(), timeout=10, what="the access log line")
        assert "Using worker: gthread" in log.read_text()

        web.send_signal(signal.SIGHUP)
        wait_for(lambda: log.read_text().count("Booting worker") >= 2, timeout=30, what="a new worker after SIGHUP")
        wait_for(lambda: healthz() == 200, timeout=30, what="the reloaded server to answer")
        assert web.poll() is None  # the same master: a reload, not a restart

        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=30) == 0
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()
        print(log.read_text()[-3000:])
    assert "Handling signal: hup" in log.read_text()
