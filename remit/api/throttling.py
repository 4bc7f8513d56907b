"""Rate limits per API key, counted in the shared cache (Redis in production), so every web
process sees the same count. The rate is ``REMIT_API_RATE`` (e.g. "600/min"), read per request so
tests can change it.

A cache outage must not take the API down: while the cache can't be reached the limiter lets
requests through (fails open). It says so once per outage in the log, counts what it let through,
and says when limits are counted again. Keys are authenticated in the database either way, so an
outage loosens only the rate, never who may call."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from remit.api.models import ApiKey

log = logging.getLogger(__name__)


class _Outage:
    """This process's view of the cache: reachable or not, and how many requests went unthrottled."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ongoing = False
        self.let_through = 0  # since the process started
        self.let_through_this_outage = 0

    def failed(self, error: Exception) -> None:
        with self.lock:
            self.let_through += 1
            self.let_through_this_outage += 1
            starting, self.ongoing = not self.ongoing, True
        if starting:
            log.warning(
                "API rate limits are off: the cache is unreachable (%s: %s). Requests are let through "
                "until it is back.",
                type(error).__name__,
                error,
            )

    def answered(self) -> None:
        if not self.ongoing:
            return
        with self.lock:
            ended, self.ongoing = self.ongoing, False
            skipped, self.let_through_this_outage = self.let_through_this_outage, 0
        if ended:
            log.info("The cache is back: API rate limits are counted again (%d request(s) went unthrottled).", skipped)


_outage = _Outage()


def unthrottled_requests() -> int:
    """How many API requests this process let through without counting them, because the cache was away."""
    return _outage.let_through


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str:
        # DRF makes a throttle per request, so this is read per request.
        return str(settings.REMIT_API_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None  # refused by authentication before any work is done
        # The prefix, not the row id: ids can be reused by a fresh test database, prefixes are random.
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            allowed = super().allow_request(request, view)
        except (RedisError, OSError) as error:  # Redis away, or the file cache's disk failing
            _outage.failed(error)
            return True
        _outage.answered()
        return allowed
