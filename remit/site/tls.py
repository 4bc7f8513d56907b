"""GET /internal/tls-allowed?domain=…: may the reverse proxy get a certificate for this domain?

Caddy's on-demand TLS asks this before it requests a certificate for a name it has never seen
(deploy/Caddyfile, ``on_demand_tls { ask … }``): 200 means yes, anything else no. Yes only for a
domain a biller has set as its own portal domain. Portals on Remit's own host live under a path
(``/<slug>/``), not on a subdomain per biller, so no other name needs a certificate on demand;
Remit's own host has its own site block in the Caddyfile, with a certificate Caddy gets at start.

Anyone may ask: the answer says no more than connecting to the domain would (a biller's domain
shows its portal, any other gets no certificate), and it costs one query on a unique index. The
Caddyfile still keeps ``/internal/`` off the public sites, so only Caddy asks in practice. Like
``/healthz``, it answers on Remit's own hosts only (a biller's domain has its own URLs), so the
address Caddy asks by (``127.0.0.1``) must be in ``ALLOWED_HOSTS``; it is exempt from the HTTPS
redirect, as Caddy asks over plain HTTP.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from remit.billers.addresses import AddressError, domain_as_stored
from remit.billers.selectors import is_biller_domain

LONGEST_QUERY = 300  # more than any domain name (253), less than anything worth reading


def _text(message: str, *, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_GET
def tls_allowed(request: HttpRequest) -> HttpResponse:
    asked = request.GET.get("domain")
    if asked is None:
        return _text("Give the domain to check: /internal/tls-allowed?domain=pay.example.com", status=400)
    if len(asked) > LONGEST_QUERY:
        return _text("Not allowed: this is far longer than any domain name.", status=400)
    try:
        domain = domain_as_stored(asked)
    except AddressError as exc:
        return _text(f"Not allowed: {asked!r}: {exc}", status=400)
    if not is_biller_domain(domain):
        return _text(f"Not allowed: no biller has set {domain} as its portal domain.", status=404)
    return _text(f"Allowed: {domain} is a biller's portal domain.", status=200)
