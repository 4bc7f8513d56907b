"""A real `remit worker` with REMIT_LOG_FORMAT=json: a task queued under a request id logs, in the
worker, JSON lines that carry the same request id."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import transaction

from remit.celery import app as celery_app
from remit.lib import request_id
from remit.lib.tasks import registered_task
from remit.notifications.actions import email_send
from remit.notifications.models import OutboundEmail
from remit.test import child_env, make_biller

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_a_task_queued_under_a_request_id_logs_it_in_the_worker(tmp_path, monkeypatch):
    biller, _ = make_biller("Acme Supply Co.")
    with monkeypatch.context() as patch, transaction.atomic():
        patch.setattr("remit.notifications.actions._request_delivery", lambda _id: None)
        email = email_send(
            to=["payer@example.com"],
            template="staff_invitation",
            biller=biller,
            context={"invitation": None, "inviter": "Alex", "accept_url": "https://x.example/a"},
        )
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = child_env(
        REMIT_QUEUE=queue,
        REMIT_LOG_FORMAT="json",
        EMAIL_URL=f"file://{tmp_path / 'mail'}",
        REMIT_OUTBOX_SWEEP_SECONDS="3600",  # only the task delivers it, not a sweep without a request id
    )
    command = [sys.executable, "-m", "remit", "worker", "--quiet", "--concurrency=1", f"--queues={queue}"]
    with log.open("w") as out:
        worker = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        celery_app.conf.task_always_eager = False  # through the broker, as from a web process
        token = request_id.current.set("req-web-42")
        try:
            registered_task("remit.notifications.tasks.deliver_email").apply_async((email.pk,), queue=queue)
        finally:
            request_id.current.reset(token)
        deadline = time.monotonic() + 90
        while OutboundEmail.objects.get(pk=email.pk).status != "sent" and time.monotonic() < deadline:
            time.sleep(0.25)
        time.sleep(0.5)  # the log line follows the update
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    lines = json_lines(log)
    delivered = [line for line in lines if line["message"].startswith(f"Delivered outbound {email.pk} ")]
    assert delivered, log.read_text()[-3000:]
    assert delivered[0]["request_id"] == "req-web-42"
    assert delivered[0]["logger"] == "remit.notifications.actions" and delivered[0]["level"] == "INFO"
    assert delivered[0]["task"] == "remit.notifications.tasks.deliver_email" and delivered[0]["task_id"]
    assert all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
