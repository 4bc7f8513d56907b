"""The portal's second sign-in step: between the right password and the session, the person is
"pending" (their id in the session, not signed in) until they type a code."""

from __future__ import annotations

import time

from django.http import HttpRequest

from remit.users.models import User
from remit.users.two_factor import second_step_needed

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 5 * 60

__all__ = ["pending_user", "second_step_needed", "start_second_step"]


def start_second_step(request: HttpRequest, user: User, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": user.pk, "next": next_url, "since": time.time()}


def pending_user(request: HttpRequest, biller_id: int) -> tuple[User | None, str]:
    pending = request.session.get(PENDING_KEY) or {}
    if not pending or time.time() - float(pending.get("since", 0)) > PENDING_SECONDS:
        return None, ""
    user = User.objects.filter(pk=int(pending.get("user", 0)), biller_id=biller_id, is_active=True).first()
    return user, str(pending.get("next", ""))


def finish_second_step(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
