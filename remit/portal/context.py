"""Which biller a portal request is for, and links that work on both kinds of portal address."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from remit.billers.models import Biller
from remit.billers.selectors import biller_by_slug, current_slug_for
from remit.customers.models import Customer, CustomerMembership
from remit.payments.controls import payment_rules
from remit.site.middleware import DOMAIN_URLCONF

View = Callable[..., HttpResponse]


def portal_view(view: View) -> View:
    """Resolve the biller (by Host or by slug) before the view runs, and set ``request.biller``.

    An address the biller used before answers with a permanent redirect to the same page at the
    current address; an unknown one is 404.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, biller_slug: str | None = None, **kwargs: Any) -> HttpResponse:
        biller: Biller | None = getattr(request, "domain_biller", None)
        if biller is None:
            if biller_slug is None:
                raise Http404
            biller = biller_by_slug(biller_slug)
            if biller is None:
                new_slug = current_slug_for(biller_slug)
                if new_slug is None:
                    raise Http404("No portal at this address.")
                rest = request.get_full_path()[len(f"/{biller_slug}/") :]
                return HttpResponsePermanentRedirect(f"/{new_slug}/{rest}")
        request.biller = biller  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def portal_reverse(request: HttpRequest, name: str, **kwargs: Any) -> str:
    """``reverse()`` for portal pages: /<slug>/… on Remit's host, /… on the biller's own domain."""
    if getattr(request, "domain_biller", None) is not None:
        return reverse(f"portal:{name}", urlconf=DOMAIN_URLCONF, kwargs=kwargs)
    biller: Biller = request.biller  # type: ignore[attr-defined]
    return reverse(f"portal:{name}", kwargs={"biller_slug": biller.slug, **kwargs})


class PortalRequest(HttpRequest):
    """A request that ``portal_view`` has let through: ``biller`` is the portal's biller."""

    biller: Biller


class MemberRequest(PortalRequest):
    """A request of a signed-in person with access to one of the biller's customer accounts."""

    membership: CustomerMembership
    customer: Customer


def member_required(view: View) -> View:
    """The person must be signed in to this portal with access to a customer account; else sign-in.
    Use under ``portal_view``. A colleague who was removed is signed out on their next request."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from remit.portal.selectors import portal_member

        biller: Biller = request.biller  # type: ignore[attr-defined]
        membership = portal_member(request, biller)
        if membership is None:
            user = request.user
            # Signed in a moment ago but no access now (a removed colleague's login is switched off).
            removed = (user.is_authenticated and getattr(user, "biller_id", None) == biller.pk) or (
                not user.is_authenticated and request.session.get(SESSION_KEY)
            )
            if removed:
                logout(request)
                messages.error(request, "You no longer have access to this account.")
            signin = portal_reverse(request, "signin")
            return HttpResponseRedirect(f"{signin}?{urlencode({'next': request.get_full_path()})}")
        request.membership = membership  # type: ignore[attr-defined]
        request.customer = membership.customer  # type: ignore[attr-defined]
        request.autopay_on = _autopay_on(membership.customer)  # type: ignore[attr-defined]
        # What the biller lets this customer do (ACH, Auto Pay): read only by the pages that ask.
        request.payment_rules = SimpleLazyObject(lambda: payment_rules(membership.customer))  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _autopay_on(customer: Customer) -> bool:
    """For the gear menu's "Auto Pay is on/off" (loaded with the membership, no extra query)."""
    try:
        return bool(customer.autopay.enabled)
    except ObjectDoesNotExist:
        return False


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Where to go after signing in: a page of this portal, never another site or another portal."""
    home = portal_reverse(request, "home")
    if candidate and candidate.startswith(home) and "//" not in candidate and "\\" not in candidate:
        return candidate
    return home
