"""Rate limits per key: 429 with Retry-After once a key has used its rate; other keys are not slowed."""

import logging

import pytest
from django.core.cache import cache
from django.test import override_settings

from remit.api import throttling
from remit.api.tests.conftest import keyed_biller

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counts():
    """The counts live in the shared cache (a file, or Redis): start and end with none.
    (Each key's count is named by its random prefix, so other tests never share one anyway.)"""
    cache.clear()
    yield
    cache.clear()


def test_429_with_retry_after(api, acme, settings):
    settings.REMIT_API_RATE = "3/min"
    for _ in range(3):
        assert api.get("/api/v1/customers").status_code == 200
    response = api.get("/api/v1/customers")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["title"] == "Too Many Requests" and body["status"] == 429
    assert body["detail"].startswith("Too many requests with this API key. Try again in ")
    # Writes count too, and another biller's key has its own allowance.
    assert api.post("/api/v1/customers", {}, format="json").status_code == 429
    assert keyed_biller("Initech").client().get("/api/v1/customers").status_code == 200


def test_a_refused_key_is_not_counted_against_anyone(api, settings):
    from rest_framework.test import APIClient

    settings.REMIT_API_RATE = "1/min"
    for _ in range(3):
        assert APIClient().get("/api/v1/customers").status_code == 401
    assert api.get("/api/v1/customers").status_code == 200


def test_the_rate_setting_is_checked_at_start_up(monkeypatch):
    from remit.lib.env import ConfigurationError, env_rate

    monkeypatch.setenv("REMIT_API_RATE", "600/fortnight")
    with pytest.raises(ConfigurationError):
        env_rate("REMIT_API_RATE", "600/min")
    monkeypatch.setenv("REMIT_API_RATE", "20/s")
    assert env_rate("REMIT_API_RATE", "600/min") == "20/s"


def test_the_api_keeps_answering_while_redis_is_away_and_limits_again_when_it_is_back(
    api, client, settings, redis_server, caplog
):
    """The rate limiter's cache is Redis in production. Stopping it must not take the API down: the
    limiter lets requests through (logged once, counted) until Redis answers again."""
    redis_cache = {**settings.CACHES["default"], "BACKEND": "django.core.cache.backends.redis.RedisCache"}
    redis_cache["LOCATION"] = redis_server.url
    settings.REMIT_API_RATE = "3/min"
    with override_settings(CACHES={"default": redis_cache}):
        assert [api.get("/api/v1/customers").status_code for _ in range(4)] == [200, 200, 200, 429]

        redis_server.stop()
        before = throttling.unthrottled_requests()
        with caplog.at_level(logging.WARNING, logger="remit.api.throttling"):
            statuses = [api.get("/api/v1/customers").status_code for _ in range(5)]
            new_customer = {"name": "Initech", "billing_emails": ["ap@initech.example"]}
            assert api.post("/api/v1/customers", new_customer, format="json").status_code == 201
        assert statuses == [200] * 5
        warnings = [r.getMessage() for r in caplog.records if r.name == "remit.api.throttling"]
        assert len(warnings) == 1 and "the cache is unreachable" in warnings[0]
        assert throttling.unthrottled_requests() - before == 6
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["cache"]["status"] == "unavailable"

        redis_server.start()  # an empty Redis: the counts start again
        with caplog.at_level(logging.INFO, logger="remit.api.throttling"):
            assert [api.get("/api/v1/customers").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert any("rate limits are counted again (6 request(s)" in r.getMessage() for r in caplog.records)


def test_the_window_slides_and_retry_after_says_when_a_request_fits_again():
    """3 a minute, all at the start of a window: refused for the rest of it, and in the next window
    let through as the last window's share shrinks (the count is an estimate that never undercounts
    requests spread evenly over the windows)."""
    limiter = throttling.ApiKeyRateThrottle()
    assert [limiter._admit("k1", 3, 60, 600.0 + n) for n in range(4)] == [True, True, True, False]
    assert limiter.wait() == pytest.approx(57.0)  # to the next window (its share then is all 3)
    assert limiter._admit("k1", 3, 60, 630.0) is False
    assert limiter.wait() == pytest.approx(30.0)
    assert limiter._admit("k1", 3, 60, 661.0) is True  # 3 × 59/60 + 0 < 3
    assert limiter._admit("k1", 3, 60, 662.0) is False  # 3 × 58/60 + 1 ≥ 3
    assert limiter.wait() == pytest.approx(18.0)  # until 3 × (1 − f) + 1 < 3: f > 1/3, at 680
    assert limiter._admit("k1", 3, 60, 681.0) is True
    assert limiter._admit("k2", 3, 60, 662.0) is True  # another key counts alone
