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
    command = [sys.executable, "-m", "remit", "beat", "--quiet"]
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


class FakeLock:
    where = "a lock for the test"

    def __init__(self) -> None:
        self.free, self.held, self.lost = False, False, False

    def acquire(self) -> bool:
        self.held = self.held or self.free
        return self.held

    def alive(self) -> bool:
        return self.held and not self.lost

    def release(self) -> None:
        self.held = False


def test_a_beat_sends_only_while_it_holds_the_lock_and_steps_down_when_it_loses_it(tmp_path, settings, monkeypatch):
    from celery.beat import Scheduler

    from remit.celery import app
    from remit.site.beat import LeaderScheduler

    settings.REMIT_BEAT_RETRY_SECONDS = 0
    ticks: list[bool] = []

    def tick(self: LeaderScheduler, *args: object, **kwargs: object) -> float:
        ticks.append(bool(self.schedule))  # Celery's tick, which sends what is due
        return 1.0

    monkeypatch.setattr(Scheduler, "tick", tick)
    scheduler = LeaderScheduler(app=app)
    scheduler._lock = lock = FakeLock()

    assert scheduler.tick() == 0 and ticks == []  # taken elsewhere: it waits and sends nothing
    assert scheduler.schedule == {}
    lock.free = True
    scheduler.tick()
    assert ticks == [True] and lock.held  # its turn: the schedule is set up and ticking
    lock.lost = True
    scheduler.tick()
    assert ticks == [True] and not lock.held and scheduler.schedule == {}  # lost: stopped at once
    lock.lost = False
    scheduler.tick()
    assert ticks == [True, True]  # and runs again once it has the lock back
    scheduler.close()
    assert not lock.held


def test_the_schedule_keeps_nothing_on_disk(tmp_path, settings):
    """A beat that takes the schedule over on another machine must not depend on a local file: the
    schedule is in memory, each entry due one interval after this beat took the lead."""
    from remit.celery import app
    from remit.site.beat import LeaderScheduler

    settings.DATA_DIR = tmp_path
    scheduler = LeaderScheduler(app=app, schedule_filename=str(tmp_path / "beat-schedule"))
    scheduler._lock = lock = FakeLock()
    lock.free = True
    scheduler.tick()
    assert set(scheduler.schedule) >= {"ach-export-due", "deliver-due-emails"}
    scheduler.close()
    assert list(tmp_path.iterdir()) == []


def test_the_postgresql_lock_knows_when_its_connection_is_gone():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's advisory lock")
    holder, other = schedule_lock(), schedule_lock()
    try:
        assert holder.acquire()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid <> pg_backend_pid() "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        wait_for(other.acquire, timeout=10, what="the lock to be free once its connection is gone")
        assert not holder.alive()
    finally:
        holder.release()
        other.release()
