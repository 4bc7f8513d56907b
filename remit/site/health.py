"""GET /healthz: is the database reachable, and the broker? Is a worker alive, and how old is the
oldest email waiting? For load balancers and monitors."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from remit.site.heartbeat import heartbeat_read
from remit.site.metrics import email_backlog

logger = logging.getLogger(__name__)


def database_status() -> dict[str, Any]:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.error("Health check: database unreachable: %s", exc)
        connection.close_if_unusable_or_obsolete()
        return {"status": "unavailable", "vendor": connection.vendor, "error": type(exc).__name__}
    return {"status": "ok", "vendor": connection.vendor}


def broker_status() -> dict[str, Any]:
    from remit.celery import app

    transport = "redis" if settings.REDIS_URL else "sqlalchemy"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    except Exception as exc:
        logger.error("Health check: broker unreachable: %s", exc)
        return {"status": "unavailable", "transport": transport, "error": type(exc).__name__}
    return {"status": "ok", "transport": transport}


def cache_status() -> dict[str, Any]:
    """The shared cache (the API's rate limits). Reported, not fatal: while it is away the API lets
    requests through unthrottled (api/throttling.py)."""
    backend = "redis" if settings.REDIS_URL else "file"
    try:
        cache.get("healthz")
    except Exception as exc:
        logger.error("Health check: cache unreachable: %s", exc)
        return {"status": "unavailable", "backend": backend, "error": type(exc).__name__}
    return {"status": "ok", "backend": backend}


def worker_status() -> dict[str, Any]:
    """The worker's heartbeat (``site/heartbeat.py``) and the outbox's backlog, which grows when no
    worker delivers. Read only when the database answers."""
    try:
        beat = heartbeat_read()
        emails = email_backlog()
    except Exception as exc:
        logger.error("Health check: could not read the worker's heartbeat: %s", exc)
        return {"status": "unknown", "error": type(exc).__name__}
    return {
        **beat.as_json(),
        "outbox": {"pending": emails.count, "oldest_pending_age_seconds": round(emails.age(timezone.now()))},
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers and no worker has gone silent. A broker or cache outage is
    reported but is not fatal: pages, the API and the outbox keep working, and queued work is picked
    up by the worker's sweeps once the broker is back. A worker silent for longer than
    ``REMIT_WORKER_SILENT_SECONDS`` is 503 (``worker.status`` "silent"); before any worker has ever run
    (a fresh install) ``worker.status`` is "never_seen" and the answer stays 200."""
    database = database_status()
    healthy = database["status"] == "ok"
    worker = worker_status() if healthy else {"status": "unknown"}
    healthy = healthy and worker["status"] != "silent"
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "broker": broker_status(),
        "cache": cache_status(),
        "worker": worker,
    }
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def live(request: HttpRequest) -> HttpResponse:
    """GET /healthz/live: this web instance answers requests. What the reverse proxy asks each instance
    before sending it traffic (deploy/Caddyfile). It touches nothing shared on purpose: with the database
    down or the worker silent every instance would fail alike, and taking them all out of rotation
    would only put the proxy's blank 503 where Remit's own error pages and working pages are."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
