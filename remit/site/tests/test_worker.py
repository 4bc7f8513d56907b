"""A real `remit worker` process takes tasks from the real broker (Redis when REDIS_URL is set, the
SQLite-backed broker otherwise) and runs them against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from remit.celery import app as celery_app
from remit.notifications.actions import email_send
from remit.notifications.models import OutboundEmail
from remit.test import child_env, make_biller, read_eml

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {what}.")


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A worker without the periodic schedule (what `remit worker` is in production)."""
    yield from _worker(tmp_path, beat=False)


@pytest.fixture
def worker_with_beat(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A worker that runs the periodic schedule too (`remit worker --beat`, what `remit run` starts)."""
    yield from _worker(tmp_path, beat=True)


def _worker(tmp_path: Path, *, beat: bool) -> Iterator[tuple[str, Path]]:
    queue = f"test-{uuid.uuid4().hex[:12]}"
    mail = tmp_path / "worker-mail"
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "remit",
            "worker",
            "--concurrency=1",
            f"--queues={queue}",
            "--loglevel=INFO",
            *(["--beat"] if beat else []),
        ],
        env=child_env(REMIT_QUEUE=queue, EMAIL_URL=f"file://{mail}", REMIT_OUTBOX_SWEEP_SECONDS="2"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue, mail
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        print((tmp_path / "worker.log").read_text()[-4000:])


def _status(email_id: int) -> str:
    return OutboundEmail.objects.get(pk=email_id).status


def queued_email(biller: Any, monkeypatch: pytest.MonkeyPatch) -> OutboundEmail:
    """An email committed to the outbox without asking anyone to deliver it (as when the broker is down)."""
    with monkeypatch.context() as patch, transaction.atomic():
        patch.setattr("remit.notifications.actions._request_delivery", lambda _id: None)
        return email_send(
            to=["payer@example.com"],
            template="staff_invitation",
            biller=biller,
            context={"invitation": None, "inviter": "Alex", "accept_url": "https://x.example/a"},
        )


def test_a_task_sent_through_the_broker_runs_in_the_worker(worker, monkeypatch):
    queue, mail = worker
    expected = "redis://" if os.environ.get("REDIS_URL") else "sqla+sqlite://"
    assert celery_app.conf.broker_url.startswith(expected)
    email = queued_email(make_biller("Acme Supply Co.")[0], monkeypatch)
    assert _status(email.pk) == OutboundEmail.Status.PENDING

    celery_app.conf.task_always_eager = False  # send_task always goes through the broker; say so
    celery_app.send_task("remit.notifications.tasks.deliver_email", args=[email.pk], queue=queue)

    wait_for(lambda: _status(email.pk) == OutboundEmail.Status.SENT, timeout=90, what="the worker to deliver")
    [eml] = mail.glob("*.eml")
    assert read_eml(eml)["Message-ID"] == email.message_id
    assert "beat: Starting" not in (mail.parent / "worker.log").read_text()  # no schedule without --beat


def test_the_periodic_sweep_delivers_what_no_task_announced(worker_with_beat, monkeypatch):
    _queue, mail = worker_with_beat
    email = queued_email(make_biller("Globex Corporation")[0], monkeypatch)
    wait_for(lambda: _status(email.pk) == OutboundEmail.Status.SENT, timeout=90, what="the beat sweep to deliver")
    assert len(list(mail.glob("*.eml"))) == 1
