"""`remit run` (what `make run` ends with) starts the web server and the worker, says when it is
ready, and Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import free_port
from remit.site.tests.test_worker import child_env, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def processes_with_env(marker: str) -> list[int]:
    """PIDs whose environment carries ``marker`` (the web server, the worker and its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_run_serves_pages_and_ctrl_c_stops_the_server_and_the_worker(tmp_path):
    port = free_port()
    marker = f"REMIT_RUN_TEST={uuid.uuid4().hex}"
    output = tmp_path / "run.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "remit", "run", "--port", str(port)],
            env=child_env(REMIT_RUN_TEST=marker.split("=")[1], REMIT_QUEUE=f"run-{uuid.uuid4().hex[:8]}"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "Remit is ready." in output.read_text(), timeout=60, what="remit run to be ready")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert response.status == 200
        text = output.read_text()
        assert f"http://127.0.0.1:{port}/console/" in text
        assert len(processes_with_env(marker)) >= 3  # runner, web server, worker (and its pool)

        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        process.wait(timeout=30)
        wait_for(lambda: not processes_with_env(marker), timeout=30, what="every child process to stop")
    finally:
        if process.poll() is None:
            process.kill()
    assert "Stopped the web server and the worker." in output.read_text()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
