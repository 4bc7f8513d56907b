"""The customer portal (issue 4 grows it): branded sign-in, home, and the biller's brand assets."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from remit.billers.models import Biller
from remit.invoices.links import LinkError, read_token
from remit.invoices.models import Invoice
from remit.lib.colors import darken, text_color_on
from remit.portal.context import portal_reverse, portal_view
from remit.portal.forms import PortalSignInForm
from remit.users.models import User

YEAR = 60 * 60 * 24 * 365


class PortalRequest(HttpRequest):
    """A request that ``portal_view`` has let through: ``biller`` is the portal's biller."""

    biller: Biller


def portal_user(request: PortalRequest) -> User | None:
    """The signed-in person if they are a portal user of this biller (console users are not)."""
    user = request.user
    biller = request.biller
    if user.is_authenticated and isinstance(user, User) and user.biller_id == biller.pk:
        return user
    return None


@portal_view
def home(request: PortalRequest) -> HttpResponse:
    user = portal_user(request)
    if user is None:
        return redirect(portal_reverse(request, "signin"))
    return render(request, "portal/home.html", {"portal_user": user})


@portal_view
def signin(request: PortalRequest) -> HttpResponse:
    form = PortalSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            biller=request.biller,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
        )
        if user is not None:
            login(request, user)
            return redirect(portal_reverse(request, "home"))
        form.add_error(None, "The email or password is not right. Check both and try again.")
    return render(request, "portal/signin.html", {"form": form})


@require_POST
@portal_view
def signout(request: PortalRequest) -> HttpResponse:
    if portal_user(request) is not None:
        logout(request)
    return redirect(portal_reverse(request, "signin"))


@portal_view
def pay_link(request: PortalRequest, token: str) -> HttpResponse:
    """Where "Pay Invoice Electronically" in an invoice email leads: this biller's portal, for that
    customer's invoice. (Issue 4 turns this into sign-up for new payers and sign-in for others.)"""
    try:
        link = read_token(token)
    except LinkError as error:
        status = 410 if error.expired else 404
        return render(request, "portal/pay_link_invalid.html", {"problem": str(error)}, status=status)
    invoice = (
        Invoice.objects.select_related("customer")
        .filter(pk=link.invoice_id, biller=request.biller, customer_id=link.customer_id)
        .first()
    )
    if link.biller_id != request.biller.pk or invoice is None:
        return render(
            request, "portal/pay_link_invalid.html", {"problem": "This link is not for this portal."}, status=404
        )
    return render(request, "portal/pay_link.html", {"invoice": invoice, "today": timezone.localdate()})


@require_GET
@portal_view
def brand_css(request: PortalRequest) -> HttpResponse:
    """The biller's colours as CSS variables (a stylesheet, so the CSP needs no inline styles)."""
    biller = request.biller
    css = (
        ".portal,.brand-preview{"
        f"--brand:{biller.brand_color};"
        f"--brand-ink:{text_color_on(biller.brand_color)};"
        f"--brand-dark:{darken(biller.brand_color)};"
        "}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    versioned = request.GET.get("v") == biller.brand_color.lstrip("#")
    response["Cache-Control"] = f"public, max-age={YEAR if versioned else 300}"
    return response


@require_GET
@portal_view
def logo(request: PortalRequest, version: str) -> HttpResponse:
    biller = request.biller
    if not biller.has_logo:
        raise Http404("This biller has no logo.")
    if version != biller.logo_version:
        return redirect(portal_reverse(request, "logo", version=biller.logo_version))
    response = HttpResponse(bytes(biller.logo_png or b""), content_type="image/png")
    # The address changes with the picture, so browsers may keep it for a year.
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
