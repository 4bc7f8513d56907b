"""Request plumbing shared by every page: which site a Host is, the Content-Security-Policy, and the
request id with the request's latency."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import render

from remit.billers.selectors import biller_by_domain
from remit.lib.metrics import REQUEST_SECONDS, RESPONSES
from remit.lib.request_id import HEADER as REQUEST_ID_HEADER
from remit.lib.request_id import current as current_request_id
from remit.lib.request_id import request_id_from

DOMAIN_URLCONF = "remit.portal.urls_domain"
access_log = logging.getLogger("remit.access")


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


class RequestIdMiddleware:
    """Names each request: the incoming ``X-Request-ID`` when it is sane (a proxy's id), else a new
    one. It is in every log line of the request (``lib/logs.py``), in the messages of the tasks the
    request queues (``remit/celery.py``), and in the response's ``X-Request-ID``. The request's
    latency is counted for ``/metrics`` by its route, and one ``remit.access`` line logged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Set here and cleared when the response is closed (``request_id_clear``, on Django's
        # request_finished), not when this returns: Django logs a 4xx response ("Not Found: …") after
        # the middleware has returned it, and that line belongs to the request too.
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        current_request_id.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = route_of(request)
        method = request.method or ""
        REQUEST_SECONDS.observe(seconds, route=route, method=method)
        RESPONSES.inc(route=route, method=method, status=f"{response.status_code // 100}xx")
        access_log.info(  # the route, not the path: paths can hold a signed link's token
            "%s %s %s",
            method,
            route,
            response.status_code,
            extra={
                "method": method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        response[REQUEST_ID_HEADER] = request_id
        return response


def request_id_clear(**_: object) -> None:
    """The receiver of Django's request_finished (``SiteConfig.ready``): the request is over."""
    current_request_id.set(None)


def route_of(request: HttpRequest) -> str:
    """The route of a request for metrics: the URL's name with its namespace (``portal:invoices``),
    never the raw path (which names customers and invoices, and has no end); ``unmatched`` when no URL
    matched (404s, or a host refused before routing)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"
