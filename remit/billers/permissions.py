"""Who may change a biller's settings: its owners. Staff may look, never change."""

from __future__ import annotations

from remit.billers.models import Biller
from remit.billers.selectors import is_owner
from remit.lib.errors import NotPermitted
from remit.users.models import User

OWNERS_ONLY = "Only an owner of this business can change this."


def require_owner(biller: Biller | int, user: User, *, message: str = OWNERS_ONLY) -> None:
    """Refuse (``NotPermitted``, with ``message`` for the person) unless ``user`` owns ``biller``."""
    biller_id = biller if isinstance(biller, int) else biller.pk
    if not is_owner(biller_id, user):
        raise NotPermitted(message)
