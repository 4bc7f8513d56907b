from __future__ import annotations

from celery import shared_task

from remit.reminders.engine import reminders_run


@shared_task
def reminders_round() -> int:
    """The periodic round: every biller's reminders and late fees that are due, on its own date."""
    return len(reminders_run().sent)
