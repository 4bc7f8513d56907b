"""Authentication within one audience: the console, or one biller's portal."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from remit.users.models import User


class _ScopedBackend(ModelBackend):
    def _check(self, user: User | None, password: str | None) -> User | None:
        if user is None or password is None:
            # Spend the same time as a real check so that response times don't reveal
            # which e-mail addresses have an account.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class ConsoleBackend(_ScopedBackend):
    """Billers' owners and staff, and Remit's operators. Called with ``email`` and ``password``."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        email: str | None = None,
        password: str | None = None,
        username: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if "biller" in kwargs:
            return None
        address = email or username
        if not address:
            return None
        user = User.objects.console().filter(email__iexact=address.strip()).first()
        return self._check(user, password)


class PortalBackend(_ScopedBackend):
    """A biller's customers. Called with ``biller``, ``email`` and ``password``."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        biller: Any = None,
        email: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if biller is None or not email:
            return None
        user = User.objects.filter(biller=biller, email__iexact=email.strip()).first()
        return self._check(user, password)
