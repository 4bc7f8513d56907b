"""Request plumbing shared by every page: which site a Host is, and the Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import render

from remit.billers.selectors import biller_by_domain

DOMAIN_URLCONF = "remit.portal.urls_domain"


class HostRoutingMiddleware:
    """Serve Remit on its own hosts, and a biller's portal at ``/`` on the biller's own domain.

    Django's ALLOWED_HOSTS is ``*`` because billers add domains at run time; this middleware is
    the real check: any other Host gets 400 and nothing else runs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        domain, _port = split_domain_port(request.get_host())
        domain = domain.lower()
        request.domain_biller = None  # type: ignore[attr-defined]
        if domain not in settings.REMIT_HOSTS:
            biller = biller_by_domain(domain) if domain else None
            if biller is None:
                return render(request, "site/unknown_host.html", {"host": domain}, status=400)
            request.domain_biller = biller  # type: ignore[attr-defined]
            request.urlconf = DOMAIN_URLCONF  # type: ignore[attr-defined]
        return self.get_response(request)


STRICT_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Django's admin (for operators only) still uses a few inline style attributes.
ADMIN_POLICY = STRICT_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    """No inline scripts anywhere: an injected <script> cannot run in a payer's browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = ADMIN_POLICY if request.path.startswith("/admin/") else STRICT_POLICY
            response["Content-Security-Policy"] = policy
        return response
