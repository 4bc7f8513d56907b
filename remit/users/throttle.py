"""Lockout after repeated failed sign-ins: per account (audience + e-mail) and per address (IP).

Failures are rows in the database (``FailedSignIn``), so every web process sees them and nothing
else needs to run. A lock releases itself when the oldest failure in the window is old enough: no
operator has to unlock anyone. A successful sign-in clears the account's failures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from remit.users.models import FailedSignIn, User

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 30


@dataclass(frozen=True)
class Lock:
    message: str
    seconds_left: int


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address. Behind the reverse proxy, the address it appended to X-Forwarded-For."""
    if settings.REMIT_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def _minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def locked(*, audience: str, email: str, ip: str | None) -> Lock | None:
    since = timezone.now() - WINDOW
    account = FailedSignIn.objects.filter(audience=audience, email=email.strip().lower(), created_at__gte=since)
    oldest = _oldest_if_over(account, ACCOUNT_LIMIT)
    if oldest is not None:
        left = _seconds_left(oldest)
        return Lock(
            f"Too many wrong passwords for this account. For your security it is locked: try again in "
            f"{_minutes(left)}, or reset your password.",
            left,
        )
    if ip:
        oldest = _oldest_if_over(FailedSignIn.objects.filter(ip_address=ip, created_at__gte=since), ADDRESS_LIMIT)
        if oldest is not None:
            left = _seconds_left(oldest)
            return Lock(f"Too many failed sign-ins from your network. Try again in {_minutes(left)}.", left)
    return None


def _oldest_if_over(failures: QuerySet[FailedSignIn], limit: int) -> datetime | None:
    """The oldest of the last ``limit`` failures, if there are that many in the window."""
    recent = list(failures.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    return recent[-1] if len(recent) >= limit else None


def _seconds_left(oldest: datetime) -> int:
    return max(1, int((oldest + WINDOW - timezone.now()).total_seconds()))


def record_failure(*, audience: str, email: str, ip: str | None) -> None:
    FailedSignIn.objects.create(audience=audience, email=email.strip().lower()[:254], ip_address=ip)
    FailedSignIn.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()


def clear(*, audience: str, email: str) -> None:
    FailedSignIn.objects.filter(audience=audience, email=email.strip().lower()).delete()


WRONG_CREDENTIALS = "The email or password is not right. Check both and try again."


def authenticate_guarded(
    request: HttpRequest,
    *,
    audience: str,
    email: str,
    password: str,
    accept: Callable[[User], bool] = lambda user: True,
    **scope: Any,
) -> tuple[User | None, str]:
    """Check a password unless the account or the address is locked. Returns (user, "") or
    (None, a message for the person). ``accept`` can refuse a right password (e.g. a portal login
    without access any more), which then counts as a failure too."""
    ip = client_ip(request)
    lock = locked(audience=audience, email=email, ip=ip)
    if lock is not None:
        return None, lock.message
    user = authenticate(request, email=email, password=password, **scope)
    if not isinstance(user, User) or not accept(user):
        record_failure(audience=audience, email=email, ip=ip)
        return None, WRONG_CREDENTIALS
    clear(audience=audience, email=email)
    return user, ""
