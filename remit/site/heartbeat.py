"""The worker's heartbeat: a periodic task writes the time it ran, so a web process can tell whether
the schedule and a worker are alive (``/healthz`` answers 503 once a worker was seen and then went
silent for longer than ``REMIT_WORKER_SILENT_SECONDS``)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.site.models import WorkerHeartbeat

NAME = "worker"


def heartbeat_beat(*, now: datetime | None = None, hostname: str | None = None) -> None:
    """Record that a worker is alive now (any number of workers may; the last one wins)."""
    values = {"seen_at": now or timezone.now(), "hostname": (hostname or socket.gethostname())[:200]}
    if WorkerHeartbeat.objects.filter(name=NAME).update(**values):
        return
    try:
        with transaction.atomic():
            WorkerHeartbeat.objects.create(name=NAME, **values)
    except IntegrityError:  # another worker created it at the same moment
        WorkerHeartbeat.objects.filter(name=NAME).update(**values)


@dataclass(frozen=True)
class Heartbeat:
    status: str  # "ok", "silent", or "never_seen" (no worker has run since the database was made)
    seen_at: datetime | None
    age_seconds: float | None
    silent_after_seconds: int

    def as_json(self) -> dict[str, object]:
        messages = {
            "ok": "A worker ran the periodic schedule recently.",
            "silent": (
                "No worker has run the periodic schedule for too long: is `remit worker` (and the schedule) running?"
            ),
            "never_seen": "No worker has run yet since this database was made: start `remit worker`.",
        }
        return {
            "status": self.status,
            "last_seen": self.seen_at.isoformat() if self.seen_at else None,
            "age_seconds": round(self.age_seconds) if self.age_seconds is not None else None,
            "silent_after_seconds": self.silent_after_seconds,
            "message": messages[self.status],
        }


def heartbeat_read(*, now: datetime | None = None) -> Heartbeat:
    limit = settings.REMIT_WORKER_SILENT_SECONDS
    seen_at = WorkerHeartbeat.objects.filter(name=NAME).values_list("seen_at", flat=True).first()
    if seen_at is None:
        return Heartbeat("never_seen", None, None, limit)
    age = max(0.0, ((now or timezone.now()) - seen_at).total_seconds())
    return Heartbeat("silent" if limit and age > limit else "ok", seen_at, age, limit)
