"""Creating and revoking API keys: only a biller's owners may, and the key is shown once."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.api.keys import new_key
from remit.api.models import ApiKey
from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.lib.errors import ActionError
from remit.users.models import User

MAX_ACTIVE_KEYS = 20
OWNERS_ONLY = "Only an owner can create or revoke API keys."


class ApiKeyError(ActionError):
    pass


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # the whole key, for the page that shows it once


@transaction.atomic
def api_key_create(*, biller: Biller, actor: User, name: str) -> IssuedKey:
    require_owner(biller, actor, message=OWNERS_ONLY)
    name = " ".join(name.split())
    if not name:
        raise ApiKeyError("Name the key after what will use it, e.g. “Accounting sync”.", field="name")
    if len(name) > 100:
        raise ApiKeyError("The name is longer than 100 characters.", field="name")
    if ApiKey.objects.filter(biller=biller, revoked_at__isnull=True).count() >= MAX_ACTIVE_KEYS:
        raise ApiKeyError(f"A business can have at most {MAX_ACTIVE_KEYS} active keys. Revoke one first.")
    for _attempt in range(3):  # a prefix is 8 random characters: a collision is rare, never twice
        issued = new_key()
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    biller=biller, name=name, prefix=issued.prefix, key_sha256=issued.digest, created_by=actor
                )
        except IntegrityError:
            continue
        return IssuedKey(api_key=api_key, secret=issued.secret)
    raise ApiKeyError("No key could be made just now. Try again.")


@transaction.atomic
def api_key_revoke(*, biller: Biller, actor: User, key_id: int) -> ApiKey:
    """Revoked at once: the next request with the key is refused. Revoking twice changes nothing."""
    require_owner(biller, actor, message=OWNERS_ONLY)
    api_key = ApiKey.objects.select_for_update().filter(biller=biller, pk=key_id).first()
    if api_key is None:
        raise ApiKeyError("This key does not exist.")
    if api_key.revoked_at is None:
        api_key.revoked_at, api_key.revoked_by = timezone.now(), actor
        api_key.save(update_fields=["revoked_at", "revoked_by"])
    return api_key
