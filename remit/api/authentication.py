"""``Authorization: Bearer rk_live_…``: the key names one biller, and every read and write of the
request is scoped to it. A missing, unknown or revoked key is a 401."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from remit.api.keys import digest_matches, prefix_of
from remit.api.models import ApiKey
from remit.billers.models import Biller

# last_used_at is a hint for the console, not an audit log: one write a minute per key is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiClient:
    """Who is calling: not a person but a biller's key. ``request.user`` in API views."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False

    @property
    def biller(self) -> Biller:
        return self.api_key.biller


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiClient, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as “Authorization: Bearer rk_live_…”.")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("This API key is not valid.") from None
        api_key = self._find(secret)
        self._touch(api_key)
        return ApiClient(api_key), api_key

    def _find(self, secret: str) -> ApiKey:
        prefix = prefix_of(secret)
        api_key = None
        # get(), not first(): the prefix is unique, and no ORDER BY to build on every request.
        with suppress(ApiKey.DoesNotExist):
            api_key = ApiKey.objects.select_related("biller").get(prefix=prefix) if prefix else None
        if api_key is None or not digest_matches(secret, api_key.key_sha256):
            raise exceptions.AuthenticationFailed("This API key is not valid.")
        if api_key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key was revoked.")
        return api_key

    def _touch(self, api_key: ApiKey) -> None:
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class HasApiKey(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiKey)


def biller_of(request: Request) -> Biller:
    """The biller whose key signed this request (views run only after ``HasApiKey`` let it through)."""
    api_key = request.auth
    assert isinstance(api_key, ApiKey)
    return api_key.biller


def key_id(request: Request) -> int:
    """The id of the key that signed this request: the actions record it in the history of what it changed."""
    api_key = request.auth
    assert isinstance(api_key, ApiKey)
    return api_key.pk
