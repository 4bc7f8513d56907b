"""`remit web`: gunicorn with threads, sized from the cores, an access log on standard output, and a
graceful reload on SIGHUP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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
    # systemd's notification socket (remit-web.service is Type=notify): gunicorn says when it is ready.
    # (Under /tmp: a socket's path must stay under 108 characters, whatever pytest's folder is.)
    notify_path = Path(tempfile.mkdtemp(prefix="remit-notify-")) / "socket"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(60)
    with log.open("w") as out:
        web = subprocess.Popen(
            [sys.executable, "-m", "remit", "web", f"--bind=127.0.0.1:{port}", "--workers=1", "--threads=2"],
            env=child_env(NOTIFY_SOCKET=str(notify_path)),
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
        assert notify.recv(1024).startswith(b"READY=1")
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
        notify.close()
        shutil.rmtree(notify_path.parent)
        if web.poll() is None:
            web.kill()
            web.wait()
        print(log.read_text()[-3000:])
    assert "Handling signal: hup" in log.read_text()


def test_json_logs_make_gunicorn_log_json_too_and_no_instance_takes_a_control_socket():
    assert "--no-control-socket" in gunicorn_command(bind="127.0.0.1:1", workers=1, threads=1, timeout=1)
    plain = gunicorn_command(bind="127.0.0.1:1", workers=1, threads=1, timeout=1, log_format="plain")
    assert not [arg for arg in plain if arg.startswith("--logger-class")]
    json_ = gunicorn_command(bind="127.0.0.1:1", workers=1, threads=1, timeout=1, log_format="json")
    assert "--logger-class=remit.site.gunicorn_logs.JsonLogger" in json_


def test_gunicorns_access_and_error_lines_are_json_objects_with_the_request_id(capsys):
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from remit.site.gunicorn_logs import JsonLogger

    config = Config()
    config.set("accesslog", "-")
    config.set("errorlog", "-")
    logger = JsonLogger(config)
    logger.info("Booting worker with pid: %s", 42)
    # What gunicorn hands its logger after a response: its Response and Request carry these.
    response = SimpleNamespace(status="404 Not Found", status_code=404, sent=1234, headers=[("X-Request-ID", "r-1")])
    request = SimpleNamespace(headers=[("X-REQUEST-ID", "from-the-proxy")])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/acme/pay/SECRET-TOKEN/",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_FORWARDED_FOR": "198.51.100.7",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    logger.access(response, request, environ, timedelta(milliseconds=12.34))
    captured = capsys.readouterr()
    access = json.loads(captured.out.strip())
    error = json.loads(captured.err.strip())
    assert error["logger"] == "gunicorn.error" and error["message"] == "Booting worker with pid: 42"
    assert error["level"] == "INFO" and error["time"].endswith("Z")
    assert access["logger"] == "gunicorn.access" and access["message"] == "GET 404"
    assert {k: access[k] for k in ("request_id", "method", "status", "bytes", "duration_ms")} == {
        "request_id": "r-1",
        "method": "GET",
        "status": 404,
        "bytes": 1234,
        "duration_ms": 12.3,
    }
    assert access["remote_addr"] == "127.0.0.1" and access["forwarded_for"] == "198.51.100.7"
    assert "SECRET-TOKEN" not in captured.out  # no path: a signed link's token is part of some
