from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """When a worker last ran the periodic heartbeat task (``site/heartbeat.py``): one row, named
    ``worker``, updated every ``REMIT_HEARTBEAT_SECONDS``. ``/healthz`` and ``/metrics`` report its age."""

    name = models.CharField(max_length=40, unique=True)
    seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} seen at {self.seen_at:%Y-%m-%d %H:%M:%S}"
