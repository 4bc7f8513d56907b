"""Celery tasks: they only load by id and call the action, so running one twice is harmless."""

from __future__ import annotations

from celery import shared_task

from remit.webhooks.delivery import webhook_deliver, webhook_deliver_due, webhook_deliver_many


@shared_task(name="remit.webhooks.tasks.deliver_webhook")
def deliver_webhook(delivery_id: int) -> bool:
    return webhook_deliver(delivery_id=delivery_id).delivered


@shared_task(name="remit.webhooks.tasks.deliver_webhooks")
def deliver_webhooks(delivery_ids: list[int]) -> int:
    return sum(result.delivered for result in webhook_deliver_many(delivery_ids))


@shared_task(name="remit.webhooks.tasks.deliver_due_webhooks")
def deliver_due_webhooks() -> int:
    return sum(result.delivered for result in webhook_deliver_due())
