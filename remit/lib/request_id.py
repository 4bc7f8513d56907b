"""The request id: one short string that names a request in every log line it causes, including the
lines of the background tasks it queues. Set by ``site/middleware.py: RequestIdMiddleware`` for a web
request, carried in a task's message headers by ``remit/celery.py``, read by ``lib/logs.py``."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

# What an incoming X-Request-ID may be to be kept (a proxy's or a load balancer's id): letters,
# digits and a few separators, at most 100 characters. Anything else is replaced with a new id, so a
# client can't write control characters or pages of text into the logs.
SANE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,100}$")
HEADER = "X-Request-ID"
TASK_HEADER = "remit_request_id"  # the Celery message header that carries it to the worker

current: ContextVar[str | None] = ContextVar("remit_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(incoming: str | None) -> str:
    """The incoming id when it is sane, else a new one."""
    if incoming and SANE.match(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str | None:
    return current.get()
