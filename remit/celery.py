"""The Celery application. Broker: Redis when REDIS_URL is set, else a SQLite file (no server)."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, Task
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from remit.lib import request_id
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


# The request id follows a request into the tasks it queues: the message carries it in a header, and
# the worker makes it current while the task runs, so the task's log lines name the same request.
# (A task run in-process — ``task_always_eager`` — simply runs inside the request's context.)
_tokens: dict[str, Any] = {}


@before_task_publish.connect
def _publish_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    current = request_id.current_request_id()
    if current and headers is not None and request_id.TASK_HEADER not in headers:
        headers[request_id.TASK_HEADER] = current


@task_prerun.connect
def _restore_request_id(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    if task is None:
        return
    # A worker's request has the message's headers as attributes; ``Task.apply`` keeps them apart.
    carried = getattr(task.request, request_id.TASK_HEADER, None) or (task.request.headers or {}).get(
        request_id.TASK_HEADER
    )
    if carried and task_id:
        _tokens[task_id] = request_id.current.set(request_id.request_id_from(carried))


@task_postrun.connect
def _forget_request_id(task_id: str | None = None, **_: Any) -> None:
    token = _tokens.pop(task_id or "", None)
    if token is not None:
        request_id.current.reset(token)


@setup_logging.connect
def _django_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """The worker logs as the web does (settings.LOGGING: plain, or JSON lines with the request id)
    instead of Celery's own format; ``--loglevel`` still sets the level."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)
