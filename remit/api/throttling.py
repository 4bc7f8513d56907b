"""Rate limits per API key, counted in the shared cache (Redis in production), so every web
process sees the same count. The rate is ``REMIT_API_RATE`` (e.g. "600/min"), read per request so
tests can change it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from remit.api.models import ApiKey


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
