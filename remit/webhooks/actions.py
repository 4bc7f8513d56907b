"""Every write webhooks make: emitting events, delivering them, resending one, and the biller's
endpoints (add, change, disable, delete, rotate the secret).

**Emitting** happens inside the transaction of the change (``webhooks_emit``): one query finds the
endpoints listening, and when there are none nothing else happens. Otherwise the events and one
delivery per endpoint are bulk-written, and on commit the worker is asked to deliver them.

**Delivering** works like the email outbox: a conditional UPDATE (a lease) claims a delivery, so two
workers never send it at once; the POST is signed (``signing.py``); a 2xx answer is a success and
anything else is retried with back-off (1, 5, 15, 30 minutes, 1, 2, 4, then every 8 hours) until 24
hours after the event, when the delivery is marked failed. Every attempt is recorded on the row.
A worker that dies mid-delivery lets the lease run out and the periodic sweep tries again: delivery
is at least once, and receivers tell repeats apart by the event's id.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from remit.billers.models import Biller
from remit.billers.selectors import is_owner
from remit.ledger.models import Invoice, Payment
from remit.lib import crypto
from remit.lib.tasks import hand_to_worker
from remit.users.models import User
from remit.webhooks import payloads, transport
from remit.webhooks.addresses import AddressError, check_url
from remit.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookChange,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from remit.webhooks.signing import new_secret, signature_header

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(hours=24)
ROTATION_WINDOW = timedelta(hours=24)
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
MAX_ENDPOINTS = 20
TASK_BATCH = 100  # deliveries per task when a bulk change (an import, an ACH file) emits many


class WebhookError(ValueError):
    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


# --- Emitting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listeners:
    """The active endpoints of some billers and the events each wants, read with one query. Pass
    one to several ``webhooks_emit`` calls of the same change to read them once."""

    endpoints: tuple[tuple[int, int, frozenset[str]], ...] = ()  # (endpoint id, biller id, event types)

    def billers_for(self, type: str) -> set[int]:
        return {biller_id for _, biller_id, events in self.endpoints if type in events}

    def endpoints_for(self, type: str, biller_id: int) -> list[int]:
        return [pk for pk, biller, events in self.endpoints if biller == biller_id and type in events]


def webhook_listeners(*, biller_ids: Iterable[int] | None = None, of: QuerySet[Any] | None = None) -> Listeners:
    """The listeners of ``biller_ids``, or of the billers of the rows in ``of`` (a queryset of a
    model with a ``biller`` — read as a subquery, so no row is loaded)."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True)
    if of is not None:
        endpoints = endpoints.filter(biller_id__in=of.values("biller_id"))
    else:
        endpoints = endpoints.filter(biller_id__in=list(biller_ids or ()))
    rows = endpoints.order_by("pk").values_list("pk", "biller_id", "events")
    return Listeners(tuple((pk, biller_id, frozenset(events or ())) for pk, biller_id, events in rows))


@dataclass(frozen=True)
class _Source:
    model: type[Invoice] | type[Payment]
    build: Callable[[Sequence[int], Collection[int]], payloads.Payloads]


SOURCES: dict[str, _Source] = {
    EventType.INVOICE_CREATED: _Source(Invoice, payloads.invoices),
    EventType.INVOICE_PAID: _Source(Invoice, payloads.invoices),
    EventType.PAYMENT_SCHEDULED: _Source(Payment, payloads.payments),
    EventType.PAYMENT_SENT: _Source(Payment, payloads.payments),
    EventType.PAYMENT_SETTLED: _Source(Payment, payloads.payments),
    EventType.PAYMENT_RETURNED: _Source(Payment, payloads.payments),
    EventType.AUTOPAY_PAYMENT_SCHEDULED: _Source(Payment, payloads.autopay_payments),
    EventType.AUTOPAY_LIMIT_EXCEEDED: _Source(Payment, payloads.autopay_payments),
}


def webhooks_emit(
    *,
    type: str,
    ids: Iterable[int],
    biller_id: int | None = None,
    listeners: Listeners | None = None,
    extra: Mapping[str, Any] | None = None,
    extras: Mapping[int, Mapping[str, Any]] | None = None,
) -> list[int]:
    """Record event ``type`` for each object (invoices or payments, by id) and a delivery for every
    endpoint of its biller that wants it. Call inside the transaction of the change: a rolled-back
    change emits nothing. ``biller_id`` (or ``listeners``) spares the query that finds the billers of
    the ids. ``extra`` is added to every payload, ``extras[id]`` to that object's (a returned
    payment's own return code). Returns the new events' ids."""
    source = SOURCES[type]
    object_ids = sorted(set(ids))
    if not object_ids:
        return []
    if listeners is None:
        listeners = (
            webhook_listeners(biller_ids=[biller_id])
            if biller_id is not None
            else webhook_listeners(of=source.model.objects.filter(pk__in=object_ids))
        )
    billers = listeners.billers_for(type)
    if not billers:
        return []
    now = timezone.now()
    events = [
        WebhookEvent(
            biller_id=biller,
            type=type,
            payload={**payload, **(extra or {}), **(extras or {}).get(object_id, {})},
            created_at=now,
        )
        for object_id, biller, payload in source.build(object_ids, billers)
    ]
    WebhookEvent.objects.bulk_create(events)
    deliveries = [
        WebhookDelivery(endpoint_id=endpoint_id, event_id=event.pk, next_attempt_at=now, created_at=now)
        for event in events
        for endpoint_id in listeners.endpoints_for(type, event.biller_id)
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    delivery_ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _request_delivery(delivery_ids))
    return [event.pk for event in events]


def webhooks_paid_watch(invoice_ids: Sequence[int]) -> Callable[[], None]:
    """Call before the invoices' paid amounts change: it notes which of them are not paid in full
    yet, for billers listening to ``invoice.paid``. Call what it returns after the change: it emits
    ``invoice.paid`` for those that now are. One query when nobody listens."""
    listeners = webhook_listeners(of=Invoice.objects.filter(pk__in=list(invoice_ids)))
    billers = listeners.billers_for(EventType.INVOICE_PAID)
    if not billers:
        return lambda: None
    unpaid = list(
        Invoice.objects.filter(
            pk__in=list(invoice_ids), biller_id__in=billers, total_cents__gt=0, paid_cents__lt=F("total_cents")
        ).values_list("pk", flat=True)
    )

    def emit() -> None:
        paid = Invoice.objects.filter(pk__in=unpaid, paid_cents__gte=F("total_cents")).values_list("pk", flat=True)
        webhooks_emit(type=EventType.INVOICE_PAID, ids=list(paid), listeners=listeners)

    return emit


def _request_delivery(delivery_ids: list[int]) -> None:
    """Ask the worker to deliver now. If the broker is down, the periodic sweep delivers later."""
    from remit.webhooks.tasks import deliver_webhook, deliver_webhooks

    if len(delivery_ids) == 1:
        hand_to_worker(deliver_webhook, delivery_ids[0], what=f"webhook delivery {delivery_ids[0]}")
        return
    for start in range(0, len(delivery_ids), TASK_BATCH):
        batch = delivery_ids[start : start + TASK_BATCH]
        hand_to_worker(deliver_webhooks, batch, what=f"{len(batch)} webhook deliveries")


# --- Delivering ----------------------------------------------------------------------------------


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
    outcome = transport.post(endpoint.url, body, headers, production=settings.PRODUCTION)
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
    _require_owner(endpoint.biller_id, actor)
    if not endpoint.is_active:
        raise WebhookError("The endpoint is disabled. Enable it first.")
    if delivery.status == DeliveryStatus.DELIVERING:
        raise WebhookError("This delivery is being attempted right now. Reload the page in a moment.")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), lease_until=None
    )
    _log(endpoint, actor, WebhookChange.Kind.RESENT, delivery_id=delivery.pk, event_id=delivery.event_id)
    transaction.on_commit(lambda: _request_delivery([delivery.pk]))
    delivery.refresh_from_db()
    return delivery


# --- The biller's endpoints ----------------------------------------------------------------------


def _require_owner(biller_id: int, actor: User) -> None:
    if not is_owner(biller_id, actor):
        raise WebhookError("Only an owner can manage webhooks.")


def _log(endpoint: WebhookEndpoint, actor: User | None, kind: str, **data: Any) -> None:
    WebhookChange.objects.create(
        biller_id=endpoint.biller_id, endpoint=endpoint, url=endpoint.url, actor=actor, kind=kind, data=data
    )


def _checked_url(url: str) -> str:
    try:
        return check_url(url, production=settings.PRODUCTION)
    except AddressError as error:
        raise WebhookError(str(error), field="url") from None


def _checked_events(events: Iterable[str]) -> list[str]:
    chosen = set(events)
    if unknown := chosen - set(EventType.values):
        raise WebhookError(f"Unknown event type: {', '.join(sorted(unknown))}.", field="events")
    if not chosen:
        raise WebhookError("Choose at least one event to send.", field="events")
    return [event for event in EventType.values if event in chosen]


@dataclass(frozen=True)
class NewSecret:
    """An endpoint and its signing secret in clear: shown once, never stored in clear."""

    endpoint: WebhookEndpoint
    secret: str = field(repr=False)


@transaction.atomic
def webhook_endpoint_create(*, biller: Biller, actor: User, url: str, events: Iterable[str]) -> NewSecret:
    _require_owner(biller.pk, actor)
    url, chosen = _checked_url(url), _checked_events(events)
    Biller.objects.select_for_update().filter(pk=biller.pk).first()  # one count at a time
    if WebhookEndpoint.objects.filter(biller=biller).count() >= MAX_ENDPOINTS:
        raise WebhookError(f"A business can have at most {MAX_ENDPOINTS} endpoints. Delete one first.")
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        biller=biller, url=url, events=chosen, secret_encrypted=crypto.encrypt(secret), created_by=actor
    )
    _log(endpoint, actor, WebhookChange.Kind.CREATED, events=chosen)
    return NewSecret(endpoint=endpoint, secret=secret)


def _locked(endpoint: WebhookEndpoint, actor: User) -> WebhookEndpoint:
    _require_owner(endpoint.biller_id, actor)
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, actor: User, url: str, events: Iterable[str]
) -> WebhookEndpoint:
    """Change the URL or the events. Deliveries already recorded keep going to the endpoint (at its
    new URL); events it no longer wants are not recorded for it from now on."""
    endpoint = _locked(endpoint, actor)
    url, chosen = _checked_url(url), _checked_events(events)
    before = {"url": endpoint.url, "events": endpoint.events}
    if before == {"url": url, "events": chosen}:
        return endpoint
    endpoint.url, endpoint.events, endpoint.updated_at = url, chosen, timezone.now()
    endpoint.save(update_fields=["url", "events", "updated_at"])
    _log(endpoint, actor, WebhookChange.Kind.UPDATED, before=before, after={"url": url, "events": chosen})
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(*, endpoint: WebhookEndpoint, actor: User, active: bool) -> WebhookEndpoint:
    """Disable (nothing more is recorded or sent; what was waiting is marked failed, and can be
    resent once it is enabled again) or enable an endpoint."""
    endpoint = _locked(endpoint, actor)
    if endpoint.is_active == active:
        return endpoint
    endpoint.is_active, endpoint.updated_at = active, timezone.now()
    endpoint.save(update_fields=["is_active", "updated_at"])
    if not active:
        endpoint.deliveries.filter(status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, last_error="The endpoint was disabled before this was delivered."
        )
    _log(endpoint, actor, WebhookChange.Kind.ENABLED if active else WebhookChange.Kind.DISABLED)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User) -> None:
    """Delete an endpoint and its deliveries log (the events stay; the history records the URL)."""
    endpoint = _locked(endpoint, actor)
    _log(endpoint, actor, WebhookChange.Kind.DELETED, events=endpoint.events)
    endpoint.delete()


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor: User) -> NewSecret:
    """A new signing secret. For 24 hours deliveries carry two signatures (new and old), so the
    receiver can switch to the new one without rejecting anything. Rotating again within the window
    drops the oldest secret at once."""
    endpoint = _locked(endpoint, actor)
    secret = new_secret()
    now = timezone.now()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + ROTATION_WINDOW
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.updated_at = now
    endpoint.save(
        update_fields=["previous_secret_encrypted", "previous_secret_expires_at", "secret_encrypted", "updated_at"]
    )
    until = payloads.instant(endpoint.previous_secret_expires_at)
    _log(endpoint, actor, WebhookChange.Kind.SECRET_ROTATED, previous_valid_until=until)
    return NewSecret(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_secrets_reencrypt() -> int:
    """`remit rotate-keys`: every endpoint's secrets (current and previous) re-encrypted with the first
    key of REMIT_ENCRYPTION_KEYS, so the old key can be dropped. Returns how many endpoints changed;
    a second run changes nothing."""
    rotated = 0
    for endpoint in WebhookEndpoint.objects.select_for_update().order_by("pk"):
        fields = {}
        for name in ("secret_encrypted", "previous_secret_encrypted"):
            token = getattr(endpoint, name)
            if not token or _under_first_key(token):
                continue
            try:
                fields[name] = crypto.reencrypt(token)
            except crypto.DecryptionError:
                raise crypto.DecryptionError(
                    f"No key in REMIT_ENCRYPTION_KEYS can decrypt the signing secret of webhook endpoint "
                    f"{endpoint.pk}; no endpoint was changed."
                ) from None
        if fields:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**fields)
            rotated += 1
    return rotated


def _under_first_key(token: str) -> bool:
    try:
        Fernet(settings.REMIT_ENCRYPTION_KEYS[0].encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True
