"""The Celery application. Broker: Redis when REDIS_URL is set, else a SQLite file (no server)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remit.settings")

app = Celery("remit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
