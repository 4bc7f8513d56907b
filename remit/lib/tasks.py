"""Handing work to the worker. The database is the source of truth and queues are only triggers: when
the queue is out of reach, the work waits in the database for the worker's periodic sweep, and the
change that caused it goes through all the same.

Actions queue their work with ``enqueue_on_commit``, naming the task by its registered name, so they
never import a tasks module (which imports the actions back)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task, current_app
from django.db import transaction

from remit.lib.reach import unreachable
from remit.lib.transactions import require_transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_name: str, *args: Any, what: str, **kwargs: Any) -> None:
    """Queue the task registered as ``task_name`` with these arguments once the current transaction
    commits; if it rolls back, nothing is queued. Call inside the transaction of the change (outside
    one it raises RuntimeError). If the queue is out of reach then, one warning says that ``what``
    waits for the worker's periodic sweep."""
    require_transaction(f"Queueing {what}")
    task = registered_task(task_name)
    transaction.on_commit(lambda: _send(lambda: task.apply_async(args, kwargs), what=what))


def registered_task(name: str) -> Task:
    """The task registered as ``name``. A web process has imported no tasks module; it imports them
    all, as the worker does when it starts, the first time it queues one. Asking the task rather than
    sending a bare name is what lets tests run tasks in-process (``task_always_eager``). The app is
    Celery's current one — Remit's, made by ``remit/celery.py`` when the ``remit`` package is
    imported — so this bottom layer never imports the process set-up above it."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    try:
        return current_app.tasks[name]
    except KeyError:
        raise LookupError(f"No Celery task is registered as {name!r}.") from None


def _send(send: Callable[[], object], *, what: str) -> None:
    try:
        send()
    except Exception as error:
        reason = unreachable(error)
        if reason is None:  # not an outage: a bug, whose traceback is worth having
            logger.warning("Could not queue %s; the worker's periodic sweep will do it.", what, exc_info=True)
        else:
            logger.warning("Could not queue %s: %s; the worker's periodic sweep will do it.", what, reason)
