"""docs/architecture.md, "What lives where", as a test: nothing a second instance needs is kept on one
machine's disk — sessions and locks in the database, files in the shared file store, the schedule in
memory, and the cache (the API's rate limits) in Redis whenever REDIS_URL is set."""

from __future__ import annotations

import pytest
from celery.beat import PersistentScheduler
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils.module_loading import import_string

from remit.files.store import atomic_with_database
from remit.site.beat import LeaderScheduler


def test_sessions_are_in_the_database():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_the_file_store_is_not_a_local_folder():
    store = storages["files"]
    assert not isinstance(store, FileSystemStorage)
    assert atomic_with_database(store) == (settings.REMIT_FILE_STORE == "database")


def test_the_schedule_keeps_no_file():
    assert import_string(settings.CELERY_BEAT_SCHEDULER.replace(":", ".")) is LeaderScheduler
    assert not issubclass(LeaderScheduler, PersistentScheduler)
    assert not hasattr(settings, "CELERY_BEAT_SCHEDULE_FILENAME")


@pytest.mark.skipif(not settings.REDIS_URL, reason="the cache is in Redis only when REDIS_URL is set")
def test_with_redis_the_cache_and_the_rate_limits_are_shared_through_it():
    from django.core.cache import cache

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    cache.set("what-lives-where", 1, timeout=5)
    assert cache.get("what-lives-where") == 1
