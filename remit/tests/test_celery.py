"""The worker keeps running while the database is out of reach, and says so in one line per task."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from celery import Celery

from conftest import free_port
from remit.test import child_env

pytestmark = pytest.mark.worker


def test_a_task_that_cannot_reach_the_database_says_so_in_one_line(tmp_path):
    port = free_port()  # nothing listens there
    env = child_env(
        DATABASE_URL=f"postgres://remit:sekrit-pw@127.0.0.1:{port}/remit",
        REMIT_DATA_DIR=str(tmp_path),  # its own embedded broker
        REMIT_QUEUE="remit",
    )
    env.pop("REDIS_URL", None)
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "remit", "worker", "--concurrency=1", "--queues=remit"]
    with log.open("w") as out:
        worker = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    # What beat would send (a beat can't take the schedule lock while the database is away): the sweep,
    # twice, through the worker's own broker.
    broker = Celery("probe", broker=f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite3'}")
    for _ in range(2):
        broker.send_task("remit.notifications.tasks.deliver_due_emails", queue="remit")
    try:
        line = f"deliver_due_emails: can't reach the database at 127.0.0.1:{port} (Connection refused)"
        deadline = time.monotonic() + 60
        while log.read_text().count(line) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    text = log.read_text()
    assert text.count(line) >= 2, text  # the worker goes on
    assert "Traceback" not in text and "sekrit-pw" not in text
