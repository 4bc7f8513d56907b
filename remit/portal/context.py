"""Which biller a portal request is for, and links that work on both kinds of portal address."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse

from remit.billers.models import Biller
from remit.billers.selectors import biller_by_slug, current_slug_for
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
