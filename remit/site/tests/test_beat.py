"""`remit beat` runs the periodic schedule once per installation: a second beat, started by mistake or
for standby, waits for the schedule lock and takes over when the first dies (site/beat.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from remit.site.beat import schedule_lock
from remit.site.tests.test_worker import wait_for
from remit.test import child_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db]

LEADS = "beat: this beat runs the schedule"
WAITS = "this one waits"
SENDS = "Scheduler: Sending due task deliver-due-emails"


def test_the_schedule_lock_is_held_by_one_holder_at_a_time():
    first, second = schedule_lock(), schedule_lock()
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.alive()
        first.release()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


def test_two_beats_send_one_schedule_and_the_second_takes_over_within_seconds_of_a_kill_9(tmp_path: Path):
    env = child_env(
        REMIT_QUEUE=f"beat-{uuid.uuid4().hex[:12]}",  # no worker takes from it: the ticks only pile up there
        REMIT_OUTBOX_SWEEP_SECONDS="1",
        REMIT_BEAT_RETRY_SECONDS="1",
    )
    command = [sys.executable, "-m", "remit", "beat", "--quiet", f"--schedule={tmp_path / 'beat-schedule'}"]
    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]
    beats = []
    for log in logs:
        with log.open("w") as out:
            beats.append(subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT))
    text = [log.read_text for log in logs]
    try:
        wait_for(
            lambda: sorted(LEADS in read() for read in text) == [False, True] and any(WAITS in read() for read in text),
            timeout=60,
            what="one beat to run the schedule and the other to wait",
        )
        leader, standby = (0, 1) if LEADS in text[0]() else (1, 0)
        wait_for(lambda: text[leader]().count(SENDS) >= 3, timeout=30, what="the leader to tick three times")
        assert SENDS not in text[standby](), text[standby]()

        beats[leader].send_signal(signal.SIGKILL)
        beats[leader].wait(timeout=10)
        killed_at = time.monotonic()
        wait_for(lambda: SENDS in text[standby](), timeout=20, what="the standby to take the schedule over")
        assert time.monotonic() - killed_at < 10
        assert LEADS in text[standby]()

        beats[standby].terminate()
        assert beats[standby].wait(timeout=15) == 0  # SIGTERM: a clean stop
    finally:
        for beat in beats:
            if beat.poll() is None:
                beat.terminate()
                try:
                    beat.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    beat.kill()
                    beat.wait()
        for log in logs:
            print(log.name, log.read_text()[-3000:])
