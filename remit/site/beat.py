"""One periodic schedule per installation, however many beats are started.

`remit beat` (and `remit worker --beat`, and the worker `remit run` starts) use `LeaderScheduler`
(settings: ``CELERY_BEAT_SCHEDULER``). Before it sends anything it takes the installation's schedule
lock; a second beat finds it taken, says so once, and asks again every ``REMIT_BEAT_RETRY_SECONDS``:
when the first one dies, the second takes the schedule over within that time.

The lock lives with the database, so it exists in every configuration Remit supports and dies with
its holder:

- PostgreSQL: a session advisory lock, held by a connection of its own. It ends with the connection,
  which ends with the process (``kill -9`` included); keep-alives on that connection make the server
  notice a machine that vanished within about a minute. The holder pings the connection every few
  seconds and stops sending (then waits to take the lock again) as soon as it has lost it.
- SQLite: an ``fcntl`` lock on a file next to the database (SQLite is one machine's), released by the
  kernel when the process ends.

Redis is optional in Remit, and a lock there needs an expiry that a paused holder can outlive, so it
is not used. Whatever slips through (the moment a lost connection takes to be noticed) is harmless:
every periodic task claims its rows, so two schedules never send, write or deliver anything twice.

The schedule keeps its state in memory, not in a file (Celery's default ``celerybeat-schedule`` was
one machine's disk: a beat taking over on another machine never saw it). Nothing is lost by that:
every periodic task is an idempotent round over the database — it finds what is due now (emails to
send, files past their cut-off, statements of the month) and does it once, however late it runs.
The only thing the file remembered was when each round last ran; without it, a beat that takes the
schedule (at start, or over from one that died) runs each round one interval later, as Celery does
with a new schedule. A round due meanwhile is not skipped but done by that next run: the slowest
rounds are hourly, and a file past its cut-off is exported by the five-minute round whatever
happened before. Keeping last-run times in the database would save at most that one interval after
a restart, for a table written on every tick.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import time
from pathlib import Path
from typing import IO, Any, Protocol

from celery.beat import Scheduler
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

from remit.lib.reach import database_address

logger = logging.getLogger(__name__)

# pg_try_advisory_lock's key: advisory locks are per database, so one key serves every installation.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"remit beat schedule").digest()[:8], "big", signed=True)


class ScheduleLock(Protocol):
    where: str

    def acquire(self) -> bool: ...
    def alive(self) -> bool: ...
    def release(self) -> None: ...


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a connection of its own (not Django's, which the process
    may close at any time)."""

    def __init__(self) -> None:
        self.where = f"a PostgreSQL advisory lock in the database at {database_address()}"
        self._connection: Any = None

    def _connect(self) -> Any:
        import psycopg

        params = connections[DEFAULT_DB_ALIAS].get_connection_params()
        connection = psycopg.connect(**params, autocommit=True)
        with connection.cursor() as cursor:
            # Should this machine vanish without closing the connection, the server drops it (and the
            # lock) after about a minute instead of the system's default two hours.
            cursor.execute("SET tcp_keepalives_idle = 30")
            cursor.execute("SET tcp_keepalives_interval = 10")
            cursor.execute("SET tcp_keepalives_count = 3")
        return connection

    def acquire(self) -> bool:
        try:
            if self._connection is None:
                self._connection = self._connect()
            with self._connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
                (taken,) = cursor.fetchone()
        except Exception:
            self.release()
            raise
        return bool(taken)

    def alive(self) -> bool:
        try:
            with self._connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as error:  # the connection is gone, and the lock with it
            logger.error("beat: the schedule lock's connection is gone (%s).", " ".join(str(error).split()))
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        # Unlocked now, not when the server gets round to ending the session: a waiting beat that asks
        # next finds it free. A broken connection: the server drops the lock with it.
        with contextlib.suppress(Exception), self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")
        with contextlib.suppress(Exception):
            self._connection.close()
        self._connection = None


class FileLock:
    """An fcntl lock on a file next to the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"a lock on {path}"
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        if self._file is None:
            self._file = self.path.open("a")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def alive(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file releases its lock
            self._file = None


def schedule_lock() -> ScheduleLock:
    """The installation's schedule lock, for the database Remit is configured with."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        return AdvisoryLock()
    if db.vendor == "sqlite":
        name = Path(str(db.settings_dict["NAME"]))
        return FileLock(name.with_name(name.name + ".beat-lock"))
    raise ImproperlyConfigured(f"The periodic schedule has no lock for the {db.vendor} database.")


class LeaderScheduler(Scheduler):
    """Celery's scheduler, its state in memory (see the module's text), run only while this beat holds
    the schedule lock. Until then each tick only asks for the lock again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock: ScheduleLock | None = None
        self._leading = False
        self._said_waiting = False
        self._checked_at = 0.0
        self.retry_seconds = float(settings.REMIT_BEAT_RETRY_SECONDS)
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        """Not yet: the schedule is set up once this beat holds the lock (``_lead``)."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._leading and not self._lead():
            return self.retry_seconds
        now = time.monotonic()
        if now - self._checked_at >= self.retry_seconds:
            self._checked_at = now
            if self._lock is None or not self._lock.alive():
                logger.error("beat: lost the schedule lock; this beat stops sending and waits to take it again.")
                self._step_down()
                return self.retry_seconds
        return float(super().tick(*args, **kwargs))

    def _lead(self) -> bool:
        try:
            if self._lock is None:
                self._lock = schedule_lock()
            taken = self._lock.acquire()
        except ImproperlyConfigured:
            raise
        except Exception as error:
            logger.error(
                "beat: can't reach the database at %s to take the schedule lock (%s); trying again in %.0f s.",
                database_address(),
                " ".join(str(error).split()),
                self.retry_seconds,
            )
            return False
        if not taken:
            if not self._said_waiting:
                logger.info("beat: another beat runs the schedule (%s is taken); this one waits.", self._lock.where)
                self._said_waiting = True
            return False
        logger.info("beat: this beat runs the schedule (it holds %s).", self._lock.where)
        self._said_waiting = False
        self._leading = True
        self._checked_at = time.monotonic()
        self.data: dict[str, Any] = {}
        Scheduler.setup_schedule(self)  # the entries of CELERY_BEAT_SCHEDULE, each due one interval from now
        self._heap = None
        return True

    def _step_down(self) -> None:
        self._leading = False
        self.data = {}
        self._heap = None
        if self._lock is not None:
            self._lock.release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.data = {}
            if self._lock is not None:
                self._lock.release()
