"""Celery tasks: they only load by id and call the action, so running one twice is harmless."""

from __future__ import annotations

from celery import shared_task

from remit.notifications.actions import outbox_deliver, outbox_deliver_due


@shared_task(name="remit.notifications.tasks.deliver_email")
def deliver_email(email_id: int) -> bool:
    return outbox_deliver(email_id=email_id).delivered


@shared_task(name="remit.notifications.tasks.deliver_due_emails")
def deliver_due_emails() -> int:
    return sum(result.delivered for result in outbox_deliver_due())
