"""Log formatting: plain text for development, or one JSON object per line for production
(``REMIT_LOG_FORMAT=json``, configured in settings.py LOGGING). Every record carries the request id
of the request (or the task it queued) that caused it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from celery._state import get_current_task  # what celery.current_task proxies (the proxy is never None)

from remit.lib.request_id import current_request_id

# The attributes every LogRecord has; anything else on a record was passed with ``extra=`` and is
# written as a field of its own.
STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (None outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601 with milliseconds), level, logger, message,
    request_id, the task and its id (in the worker), the fields passed with ``extra=``, and the
    traceback as ``exc_info`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        task = get_current_task()
        if task is not None and task.request.id:  # a line logged by a task in the worker: which one
            line["task"], line["task_id"] = task.name, task.request.id
        for key, value in vars(record).items():
            if key not in STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """settings.LOGGING for ``fmt`` ("plain" or "json")."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "remit.lib.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "remit.lib.logs.JsonFormatter"},
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["request_id"]}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "fontTools": {"level": "WARNING"},
            "asyncssh": {"level": "WARNING"},  # a line per SSH packet exchange at INFO; Remit logs each transfer itself
            # One line per request (method, route, status, duration) in JSON logs; gunicorn's or
            # runserver's own access log says as much in development.
            "remit.access": {"level": "INFO" if fmt == "json" else "WARNING"},
        },
    }
