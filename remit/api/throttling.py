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
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from remit.api.models import ApiKey

log = logging.getLogger(__name__)
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}  # as DRF reads a rate: by the unit's first letter


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


class ApiKeyRateThrottle(BaseThrottle):
    """A sliding window per key, kept as two counters: this window's requests and the last one's.
    The count is this window's plus the share of the last window that still lies within one period
    of now (Cloudflare's "sliding window counter"). Each request costs one read of two small numbers
    and one atomic increment, however high the rate; a list of timestamps (DRF's own throttle) grows
    with the rate, and two processes writing it back at once lose each other's requests."""

    scope = "api_key"

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True  # refused by authentication before any work is done
        # DRF makes a throttle per request, so the rate is read per request (tests change it).
        count, _, unit = str(settings.REMIT_API_RATE).partition("/")  # "600/min", checked at start-up
        allowed, period = int(count), PERIODS[unit[0]]
        try:
            admitted = self._admit(request.auth.prefix, allowed, period, time.time())
        except (RedisError, OSError) as error:  # Redis away, or the file cache's disk failing
            _outage.failed(error)
            return True
        _outage.answered()
        return admitted

    def _admit(self, prefix: str, allowed: int, period: int, now: float) -> bool:
        # The prefix, not the row id: ids can be reused by a fresh test database, prefixes are random.
        window = int(now // period)
        this, last = (f"throttle_{self.scope}_{prefix}_{period}_{n}" for n in (window, window - 1))
        counts = cache.get_many([this, last])
        current, previous = int(counts.get(this, 0)), int(counts.get(last, 0))
        into = now / period - window  # how far into this window, 0 to 1
        if previous * (1 - into) + current >= allowed:
            self.retry_after = self._wait(allowed, period, current, previous, into)
            return False
        try:
            cache.incr(this)
        except ValueError:  # the window's first request (or its counter expired just now)
            if not cache.add(this, 1, timeout=2 * period):
                cache.incr(this)
        return True

    @staticmethod
    def _wait(allowed: int, period: int, current: int, previous: int, into: float) -> float:
        """Seconds until the count falls below ``allowed`` if no request comes meanwhile."""
        if current >= allowed:
            # Into the next window, this one becomes the last: wait until its share is small enough.
            return period * (1 - into) + period * (1 - allowed / current)
        return period * ((1 - (allowed - current) / previous) - into)

    def wait(self) -> float | None:
        return None if self.retry_after is None else max(1.0, self.retry_after)
