from __future__ import annotations

from celery import shared_task

from remit.site.heartbeat import heartbeat_beat


@shared_task
def worker_heartbeat() -> None:
    heartbeat_beat()
