"""The biller's webhook endpoints: add, change, disable or enable, delete, rotate the signing secret
(and `remit rotate-keys` re-encrypting every secret). Only owners manage endpoints; every change
writes a ``WebhookChange`` row, the endpoint's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.lib import crypto
from remit.lib.errors import ActionError
from remit.users.models import User
from remit.webhooks import payloads
from remit.webhooks.addresses import AddressError, check_url
from remit.webhooks.models import DeliveryStatus, EventType, WebhookChange, WebhookEndpoint
from remit.webhooks.signing import new_secret

ROTATION_WINDOW = timedelta(hours=24)
MAX_ENDPOINTS = 20


class WebhookError(ActionError):
    pass


OWNERS_ONLY = "Only an owner can manage webhooks."


def _log(endpoint: WebhookEndpoint, actor: User | None, kind: str, **data: Any) -> None:
    WebhookChange.objects.create(
        biller_id=endpoint.biller_id, endpoint=endpoint, url=endpoint.url, actor=actor, kind=kind, data=data
    )


def _checked_url(url: str) -> str:
    try:
        return check_url(url, production=settings.PRODUCTION, allow=settings.REMIT_WEBHOOK_ALLOW)
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
    require_owner(biller, actor, message=OWNERS_ONLY)
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
    require_owner(endpoint.biller_id, actor, message=OWNERS_ONLY)
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
            if not token or crypto.is_under_first_key(token):
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
