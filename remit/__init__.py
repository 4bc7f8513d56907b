"""Remit: a self-hosted accounts-receivable portal."""

from remit.celery import app as celery_app

__all__ = ["celery_app"]
