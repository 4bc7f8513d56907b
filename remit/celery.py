"""The Celery application. Broker: Redis when REDIS_URL is set, else a SQLite file (no server)."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, Task

from remit.lib.reach import unreachable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remit.settings")

logger = logging.getLogger(__name__)


class RemitTask(Task):
    """Every Remit task. When the database (or Redis) is out of reach, the task says so in one line
    instead of a traceback and ends: the database is the source of truth and every task has a
    periodic sweep that does its work once the server is back."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            line = unreachable(error)
            if line is None:
                raise
            logger.error("%s: %s; the next periodic sweep will do its work.", self.name, line)
            return None


app = Celery("remit", task_cls=RemitTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
