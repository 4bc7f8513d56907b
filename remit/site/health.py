"""GET /healthz: is the database reachable, and the broker? For load balancers and monitors."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers. A broker or cache outage is reported but is not fatal: pages,
    the API and the outbox keep working, and queued work is picked up by the worker's sweeps once
    the broker is back."""
    database = database_status()
    healthy = database["status"] == "ok"
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "broker": broker_status(),
        "cache": cache_status(),
    }
    return JsonResponse(body, status=200 if healthy else 503)
