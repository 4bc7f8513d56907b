"""Gunicorn's own log lines (its error log: start, workers, timeouts; and its access log) as JSON, one
object per line like every other line of Remit's, when ``REMIT_LOG_FORMAT=json``: `remit web` then
passes ``--logger-class=remit.site.gunicorn_logs.JsonLogger``.

Gunicorn loads this class in its master process before Django is set up, so it imports nothing of
Django's and no settings; the formatter is ``lib/logs.py``'s.

The access line carries the request id Remit gave the request (the response's ``X-Request-ID``), the
method, status, bytes, duration, the connecting address and what the proxy forwarded; it has no
path: a signed link's token is part of some paths, and Remit's own ``remit.access`` line with the
same request id names the route.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from remit.lib.logs import JsonFormatter, RequestIdFilter
from remit.lib.request_id import HEADER as REQUEST_ID_HEADER


def _header(headers: Any, name: str) -> str | None:
    """A header's value from gunicorn's list of (name, value) pairs, whatever the case."""
    pairs = headers.items() if hasattr(headers, "items") else headers
    wanted = name.lower()
    for key, value in pairs:
        if key.lower() == wanted:
            return str(value)
    return None


def access_fields(*, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> dict[str, Any]:
    """What the JSON access line says about one request."""
    status = resp.status_code if getattr(resp, "status_code", None) else str(resp.status).split(None, 1)[0]
    return {
        "request_id": _header(resp.headers, REQUEST_ID_HEADER) or _header(req.headers, REQUEST_ID_HEADER),
        "method": environ.get("REQUEST_METHOD"),
        "status": int(status),
        "bytes": getattr(resp, "sent", None),
        "duration_ms": round(request_time.total_seconds() * 1000, 1),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
        "user_agent": environ.get("HTTP_USER_AGENT"),
    }


class JsonLogger(Logger):
    """Gunicorn's logger with Remit's JSON formatter on its handlers, and a structured access line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = JsonFormatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)
                handler.addFilter(RequestIdFilter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        try:
            fields = access_fields(resp=resp, req=req, environ=environ, request_time=request_time)
            self.access_log.info("%s %s", fields["method"], fields["status"], extra=fields)
        except Exception:
            self.error_log.exception("Could not write the access log line.")
