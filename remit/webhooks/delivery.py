"""Delivering webhook events, which works like the email outbox: a conditional UPDATE (a lease)
claims a delivery, so two workers never send it at once; the POST is signed (``signing.py``); a 2xx
answer is a success and anything else is retried with back-off (1, 5, 15, 30 minutes, 1, 2, 4, then
every 8 hours) until 24 hours after the event, when the delivery is marked failed. Every attempt is
recorded on the row. A worker that dies mid-delivery lets the lease run out and the periodic sweep
tries again: delivery is at least once, and receivers tell repeats apart by the event's id. The
console's Resend (``webhook_resend``) asks for one more attempt now.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from remit.billers.permissions import require_owner
from remit.lib import crypto
from remit.users.models import User
from remit.webhooks import payloads, transport
from remit.webhooks.emit import _request_delivery
from remit.webhooks.endpoints import OWNERS_ONLY, WebhookError, _log
from remit.webhooks.models import DeliveryStatus, WebhookChange, WebhookDelivery, WebhookEndpoint, WebhookEvent
from remit.webhooks.signing import signature_header

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(hours=24)
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1, 5, 15, 30 minutes, 1, 2, 4 hours, then every 8 hours."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


@dataclass(frozen=True)
class DeliveryResult:
    delivery_id: int
    claimed: bool
    delivered: bool = False
    status_code: int | None = None
    error: str = ""


def _claim(delivery_id: int, now: datetime) -> datetime | None:
    """The lease: only one caller can move a due delivery to *delivering* (or take over one whose
    worker died and whose lease ran out). Returns the lease's end, which also identifies it."""
    lease = now + LEASE
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.DELIVERING, lease_until__lt=now
    )
    claimed = WebhookDelivery.objects.filter(due, pk=delivery_id).update(
        status=DeliveryStatus.DELIVERING, lease_until=lease
    )
    return lease if claimed == 1 else None


def event_body(event: WebhookEvent) -> bytes:
    """What is POSTed (and signed): the same bytes for every attempt of an event."""
    envelope = {
        "id": event.pk,
        "type": event.type,
        "created_at": payloads.instant(event.created_at),
        "biller_id": event.biller_id,
        "data": event.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation window lasts."""
    found = [crypto.decrypt(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > now:
        found.append(crypto.decrypt(endpoint.previous_secret_encrypted))
    return found


def webhook_deliver(*, delivery_id: int) -> DeliveryResult:
    """Attempt one delivery if it is due and no other worker holds it. Safe to call twice. Runs
    outside any transaction: the lease is committed before the POST, the outcome after it."""
    now = timezone.now()
    lease = _claim(delivery_id, now)
    if lease is None:
        return DeliveryResult(delivery_id=delivery_id, claimed=False)
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(pk=delivery_id).first()
    if delivery is None:  # its endpoint was deleted a moment ago
        return DeliveryResult(delivery_id=delivery_id, claimed=True, error="The endpoint was deleted.")
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.is_active:
        _settle(delivery_id, lease, status=DeliveryStatus.FAILED, last_error="The endpoint is disabled.")
        return DeliveryResult(delivery_id=delivery_id, claimed=True, error="The endpoint is disabled.")
    try:
        secrets_in_use = signing_secrets(endpoint, now)
    except crypto.DecryptionError as error:  # a key dropped before `remit rotate-keys` ran
        return _record(delivery, lease, transport.Outcome(status_code=None, error=str(error)))
    body = event_body(event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Remit-Webhooks/1",
        "Remit-Event": event.type,
        "Remit-Delivery": str(delivery.pk),
        "Remit-Signature": signature_header(secrets_in_use, timestamp, body),
    }
    outcome = transport.post(
        endpoint.url, body, headers, production=settings.PRODUCTION, allow=settings.REMIT_WEBHOOK_ALLOW
    )
    return _record(delivery, lease, outcome)


def _settle(delivery_id: int, lease: datetime, **fields: Any) -> bool:
    """Write the outcome if we still hold the lease (a worker that overran it doesn't overwrite
    the one that took over)."""
    changed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.DELIVERING, lease_until=lease
    ).update(lease_until=None, **fields)
    return changed == 1


def _record(delivery: WebhookDelivery, lease: datetime, outcome: transport.Outcome) -> DeliveryResult:
    now = timezone.now()
    attempts = delivery.attempts + 1
    common: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:2000],
    }
    result = DeliveryResult(
        delivery_id=delivery.pk,
        claimed=True,
        delivered=outcome.succeeded,
        status_code=outcome.status_code,
        error=outcome.error,
    )
    if outcome.succeeded:
        _settle(delivery.pk, lease, status=DeliveryStatus.SUCCEEDED, delivered_at=now, **common)
        logger.info("Delivered webhook %s (%s) to %s.", delivery.pk, delivery.event.type, delivery.endpoint.url)
        return result
    retry_at = now + retry_delay(attempts)
    gave_up = retry_at > delivery.event.created_at + GIVE_UP_AFTER
    status = DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING
    _settle(delivery.pk, lease, status=status, next_attempt_at=retry_at, **common)
    (logger.error if gave_up else logger.warning)(
        "Webhook delivery %s to %s failed (attempt %d%s): %s",
        delivery.pk,
        delivery.endpoint.url,
        attempts,
        ", giving up" if gave_up else "",
        outcome.error,
    )
    return result


def webhook_deliver_many(delivery_ids: Sequence[int]) -> list[DeliveryResult]:
    """Deliver these in turn. After a failure to an endpoint, its other deliveries wait for the next
    sweep, so one endpoint that is down (10 seconds per timeout) doesn't hold up everyone else's."""
    endpoint_of = dict(WebhookDelivery.objects.filter(pk__in=list(delivery_ids)).values_list("pk", "endpoint_id"))
    failing: set[int] = set()
    results = []
    for delivery_id in delivery_ids:
        if endpoint_of.get(delivery_id) in failing:
            continue
        result = webhook_deliver(delivery_id=delivery_id)
        if result.claimed and not result.delivered:
            failing.add(endpoint_of[delivery_id])
        results.append(result)
    return results


def due_delivery_ids(*, limit: int = 500) -> list[int]:
    now = timezone.now()
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.DELIVERING, lease_until__lt=now
    )
    return list(
        WebhookDelivery.objects.filter(due, endpoint__is_active=True)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_deliver_due(*, limit: int = 500) -> list[DeliveryResult]:
    """The worker's periodic sweep: every delivery that is due (its task was lost, or its back-off
    has passed), and any whose worker died holding it."""
    return webhook_deliver_many(due_delivery_ids(limit=limit))


@transaction.atomic
def webhook_resend(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """The console's Resend: one more attempt, now, whatever became of the earlier ones (the same
    event, delivery id and body; a new timestamp and signature). Back-off follows if it fails; after
    24 hours since the event, a failed resend is marked failed at once."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    endpoint = delivery.endpoint
    require_owner(endpoint.biller_id, actor, message=OWNERS_ONLY)
    if not endpoint.is_active:
        raise WebhookError("The endpoint is disabled. Enable it first.")
    if delivery.status == DeliveryStatus.DELIVERING:
        raise WebhookError("This delivery is being attempted right now. Reload the page in a moment.")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), lease_until=None
    )
    _log(endpoint, actor, WebhookChange.Kind.RESENT, delivery_id=delivery.pk, event_id=delivery.event_id)
    _request_delivery([delivery.pk])  # on commit
    delivery.refresh_from_db()
    return delivery
