"""One session per audience, so the console and each biller's portal never sign each other out.

- The console and the admin use Django's usual session cookie (``SESSION_COOKIE_NAME``, path "/").
- A biller's portal uses its own cookie, ``remit_portal``, scoped to the portal's path
  (``/<slug>/``) — or "/" on the biller's own domain. A person who pays two billers from one
  browser has two separate sessions, and a biller can test its portal while signed in to its console.

This is Django's ``SessionMiddleware`` with the cookie's name and path chosen per request.
"""

from __future__ import annotations

import time
from typing import Literal

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date

from remit.billers.addresses import RESERVED_SLUGS

PORTAL_COOKIE = "remit_portal"
SAMESITE: Literal["Lax"] = "Lax"  # as SESSION_COOKIE_SAMESITE: links from emails keep the session


def session_cookie_for(request: HttpRequest) -> tuple[str, str]:
    """(cookie name, cookie path) of the session this request belongs to."""
    if getattr(request, "domain_biller", None) is not None:
        return PORTAL_COOKIE, "/"
    first = request.path.lstrip("/").split("/", 1)[0]
    if not first or first in RESERVED_SLUGS or "/" not in request.path.lstrip("/"):
        return settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_PATH
    return PORTAL_COOKIE, f"/{first}/"


class ScopedSessionMiddleware(SessionMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        name, path = session_cookie_for(request)
        request.session_cookie = (name, path)  # type: ignore[attr-defined]
        request.session = self.SessionStore(request.COOKIES.get(name))

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            accessed = request.session.accessed
            modified = request.session.modified
            empty = request.session.is_empty()
        except AttributeError:
            return response
        name, path = request.session_cookie  # type: ignore[attr-defined]
        if name in request.COOKIES and empty:
            response.delete_cookie(name, path=path, domain=settings.SESSION_COOKIE_DOMAIN, samesite=SAMESITE)
            patch_vary_headers(response, ("Cookie",))
            return response
        if accessed:
            patch_vary_headers(response, ("Cookie",))
        if (modified or settings.SESSION_SAVE_EVERY_REQUEST) and not empty and response.status_code < 500:
            if request.session.get_expire_at_browser_close():
                max_age, expires = None, None
            else:
                max_age = request.session.get_expiry_age()
                expires = http_date(time.time() + max_age)
            try:
                request.session.save()
            except UpdateError:
                raise SessionInterrupted(
                    "The request's session was deleted before the request completed. "
                    "The user may have logged out in a concurrent request, for example."
                ) from None
            response.set_cookie(
                name,
                request.session.session_key or "",
                max_age=max_age,
                expires=expires,
                domain=settings.SESSION_COOKIE_DOMAIN,
                path=path,
                secure=bool(settings.SESSION_COOKIE_SECURE),
                httponly=bool(settings.SESSION_COOKIE_HTTPONLY),
                samesite=SAMESITE,
            )
            patch_vary_headers(response, ("Cookie",))
        return response
