"""Handing work to the worker. The database is the source of truth and queues are only triggers: when
the queue is out of reach, the work waits in the database for the worker's periodic sweep, and the
change that caused it goes through all the same."""

from __future__ import annotations

import logging
from typing import Any

from remit.lib.reach import unreachable

logger = logging.getLogger(__name__)


def hand_to_worker(task: Any, *args: Any, what: str) -> None:
    """Queue ``task(*args)`` for the worker; if that fails, log one warning naming ``what`` waits."""
    try:
        task.delay(*args)
    except Exception as error:
        reason = unreachable(error)
        if reason is None:  # not an outage: a bug, whose traceback is worth having
            logger.warning("Could not queue %s; the worker's periodic sweep will do it.", what, exc_info=True)
        else:
            logger.warning("Could not queue %s: %s; the worker's periodic sweep will do it.", what, reason)
