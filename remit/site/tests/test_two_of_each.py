"""Whatever an operator starts twice, nothing goes out twice: two `remit worker`s and two `remit beat`s
at once against one outbox deliver each email once (one beat sends the sweeps, both workers take
tasks, and every email is also announced twice)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from remit.celery import app as celery_app
from remit.notifications.models import OutboundEmail
from remit.site.tests.test_worker import queued_email, wait_for
from remit.test import child_env, make_biller, read_eml

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EMAILS = 8  # each announced twice: 16 races, and the sweeps besides


def test_two_workers_and_two_beats_deliver_every_email_once(tmp_path: Path, monkeypatch):
    biller = make_biller("Acme Supply Co.")[0]
    emails = [queued_email(biller, monkeypatch) for _ in range(EMAILS)]
    queue, mail = f"two-{uuid.uuid4().hex[:12]}", tmp_path / "mail"
    env = child_env(
        REMIT_QUEUE=queue,
        EMAIL_URL=f"file://{mail}",
        REMIT_OUTBOX_SWEEP_SECONDS="1",
        REMIT_BEAT_RETRY_SECONDS="1",
    )
    remit = [sys.executable, "-m", "remit"]
    commands = {
        "worker-1": [*remit, "worker", "--concurrency=2", f"--queues={queue}"],
        "worker-2": [*remit, "worker", "--concurrency=2", f"--queues={queue}"],
        "beat-1": [*remit, "beat", "--quiet", f"--schedule={tmp_path / 'beat-schedule'}"],
        "beat-2": [*remit, "beat", "--quiet", f"--schedule={tmp_path / 'beat-schedule'}"],
    }
    processes = {}
    for name, command in commands.items():
        with (tmp_path / f"{name}.log").open("w") as out:
            processes[name] = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(
            lambda: all(" ready." in (tmp_path / f"{name}.log").read_text() for name in ("worker-1", "worker-2")),
            timeout=90,
            what="both workers to be ready",
        )
        # Every email announced twice too, as a retried hand-off would: both workers race for each.
        celery_app.conf.task_always_eager = False
        for email in emails:
            for _ in range(2):
                celery_app.send_task("remit.notifications.tasks.deliver_email", args=[email.pk], queue=queue)

        def all_sent() -> bool:
            return not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()

        wait_for(all_sent, timeout=120, what="every email to be delivered")
        # Sweeps while the tasks ran, and after: a double would have every chance to show.
        wait_for(
            lambda: (
                sum((tmp_path / f"{b}.log").read_text().count("Sending due task") for b in ("beat-1", "beat-2")) >= 2
            ),
            timeout=30,
            what="two sweeps",
        )
    finally:
        for process in processes.values():
            process.terminate()
        for name, process in processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            print(name, (tmp_path / f"{name}.log").read_text()[-2000:])

    delivered = [read_eml(path)["Message-ID"] for path in mail.glob("*.eml")]
    assert sorted(delivered) == sorted(email.message_id for email in emails)
    beats = [(tmp_path / f"{name}.log").read_text() for name in ("beat-1", "beat-2")]
    assert sorted("Sending due task" in text for text in beats) == [False, True]  # one schedule
    workers = [(tmp_path / f"{name}.log").read_text() for name in ("worker-1", "worker-2")]
    assert all("succeeded" in text for text in workers), "both workers took tasks"
