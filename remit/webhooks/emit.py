"""Emitting webhook events: the changes of invoices and payments call ``webhooks_emit`` inside their
transaction. One query finds the endpoints listening, and when there are none nothing else happens.
Otherwise the events and one delivery per endpoint are bulk-written, and once the transaction commits
the worker is asked to deliver them (``delivery.py``). A rolled-back change emits nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from remit.ledger.models import Credit, CreditApplication, Invoice, Payment
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.lib.tasks import enqueue_on_commit
from remit.lib.transactions import require_transaction
from remit.webhooks import payloads
from remit.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent

TASK_BATCH = 100  # deliveries per task when a bulk change (an import, an ACH file) emits many


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
    if of is None:
        return Listeners(tuple(sorted(_listening(sorted(set(biller_ids or ()))))))
    endpoints = WebhookEndpoint.objects.filter(is_active=True, biller_id__in=of.values("biller_id"))
    rows = endpoints.order_by("pk").values_list("pk", "biller_id", "events")
    return Listeners(tuple((pk, biller_id, frozenset(events or ())) for pk, biller_id, events in rows))


def _listening(biller_ids: Sequence[int]) -> Iterator[tuple[int, int, frozenset[str]]]:
    # Plain SQL: every invoice or payment change asks, mostly of billers with no endpoint at all, and
    # building the ORM's query cost four times its round trip (the API's create is a benchmark).
    events = WebhookEndpoint._meta.get_field("events")
    for batch in batches(biller_ids, IDS_PER_STATEMENT):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, biller_id, events FROM webhooks_webhookendpoint "  # noqa: S608 (only placeholders)
                f"WHERE is_active AND biller_id IN ({', '.join(['%s'] * len(batch))}) ORDER BY id",
                list(batch),
            )
            for pk, biller_id, raw in cursor.fetchall():
                yield pk, biller_id, frozenset(events.from_db_value(raw, None, connection) or ())  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Source:
    model: type[Invoice] | type[Payment] | type[Credit] | type[CreditApplication]
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
    EventType.PAYMENT_HELD: _Source(Payment, payloads.payments),
    EventType.PAYMENT_APPROVED: _Source(Payment, payloads.payments),
    EventType.PAYMENT_REJECTED: _Source(Payment, payloads.payments),
    EventType.CREDIT_CREATED: _Source(Credit, payloads.credits),
    # ``biller_id`` must be given: an application has no biller of its own to find listeners by.
    EventType.CREDIT_APPLIED: _Source(CreditApplication, payloads.credit_applications),
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
    endpoint of its biller that wants it. Call inside the transaction of the change (outside one it
    raises RuntimeError): a rolled-back change emits nothing. ``biller_id`` (or ``listeners``) spares
    the query that finds the billers of the ids. ``extra`` is added to every payload, ``extras[id]``
    to that object's (a returned payment's own return code). Returns the new events' ids."""
    require_transaction("Emitting webhooks")
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
    _request_delivery([delivery.pk for delivery in deliveries])
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
            pk__in=list(invoice_ids),
            biller_id__in=billers,
            total_cents__gt=0,
            paid_cents__lt=F("total_cents") - F("credited_cents"),
        ).values_list("pk", flat=True)
    )

    def emit() -> None:
        settled = Invoice.objects.filter(pk__in=unpaid, paid_cents__gte=F("total_cents") - F("credited_cents"))
        paid = settled.values_list("pk", flat=True)
        webhooks_emit(type=EventType.INVOICE_PAID, ids=list(paid), listeners=listeners)

    return emit


def _request_delivery(delivery_ids: list[int]) -> None:
    """Once the caller's transaction commits, ask the worker to deliver these now. If the broker is
    down, the periodic sweep delivers them later."""
    if len(delivery_ids) == 1:
        [delivery_id] = delivery_ids
        enqueue_on_commit("remit.webhooks.tasks.deliver_webhook", delivery_id, what=f"webhook delivery {delivery_id}")
        return
    for batch in batches(delivery_ids, TASK_BATCH):
        enqueue_on_commit("remit.webhooks.tasks.deliver_webhooks", list(batch), what=f"{len(batch)} webhook deliveries")
