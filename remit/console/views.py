"""The biller's console. Views parse input, check who may act, call an action and answer."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from remit.billers import actions
from remit.billers.actions import BillerError
from remit.billers.models import Biller, BillerEvent, Membership, StaffInvitation
from remit.billers.permissions import require_owner
from remit.billers.selectors import console_membership, current_slug_for, memberships_of, team_of
from remit.console.forms import (
    AcceptInvitationForm,
    BrandingForm,
    DomainForm,
    InviteForm,
    SignInForm,
    SignUpForm,
    SlugForm,
)
from remit.invoices.reports import dashboard_context
from remit.lib.errors import NotPermitted
from remit.site.forms import add_action_error
from remit.users import throttle
from remit.users.models import User

CONSOLE_BACKEND = "remit.users.backends.ConsoleBackend"
View = Callable[..., HttpResponse]


class ConsoleRequest(HttpRequest):
    """A request that ``console_view`` has let through: a console user working for ``biller``."""

    user: User
    membership: Membership
    biller: Biller


def read_only_for_staff(request: ConsoleRequest, form: forms.BaseForm) -> None:
    """Owners change the settings; staff see the same form with every field disabled
    (``console_view(owner_only=True)`` refuses their POST)."""
    if not request.membership.is_owner:
        for field in form.fields.values():
            field.disabled = True


def console_user(request: HttpRequest) -> User | None:
    user = request.user
    if user.is_authenticated and isinstance(user, User) and user.is_console_user:
        return user
    return None


def console_view(*, owner_only: bool = False) -> Callable[[View], View]:
    """Sign-in required; the biller comes from the URL and must be one the user works for (else 404).
    With ``owner_only``, staff may look but only owners may change anything (POST). An owner check
    that refuses (``NotPermitted``, here or in an action the view calls) is a 403 page that says why."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            user = console_user(request)
            if user is None:
                return redirect(f"{reverse('console:signin')}?next={request.path}")
            try:
                membership = console_membership(user, slug)
            except Http404:
                new_slug = current_slug_for(slug)
                if new_slug and memberships_of(user).filter(biller__slug=new_slug).exists():
                    return redirect(request.path.replace(f"/console/{slug}/", f"/console/{new_slug}/", 1))
                raise
            request.membership = membership  # type: ignore[attr-defined]
            request.biller = membership.biller  # type: ignore[attr-defined]
            try:
                if owner_only and request.method == "POST":
                    require_owner(membership.biller, user)
                return view(request, *args, **kwargs)
            except NotPermitted as error:  # the owner check here or in an action: a 403 page that says why
                raise PermissionDenied(str(error)) from None

        return wrapper

    return decorate


def page_query(request: HttpRequest) -> str:
    """The current filters as a query string ending in "&", for the pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


# --- Signing in and up ---------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    if user is None:
        return redirect("console:signin")
    memberships = list(memberships_of(user))
    if len(memberships) == 1:
        return redirect("console:dashboard", slug=memberships[0].biller.slug)
    return render(request, "console/choose_biller.html", {"memberships": memberships})


def signin(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, problem = throttle.authenticate_guarded(
            request, audience="console", email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if user is None:
            form.add_error(None, problem)
        else:
            login(request, user, backend=CONSOLE_BACKEND)
            next_url = request.POST.get("next") or request.GET.get("next") or ""
            if url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect("console:home")
    return render(request, "console/signin.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect("console:signin")


def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            biller, owner = actions.biller_sign_up(**form.cleaned_data)
        except BillerError as error:
            add_action_error(form, error)
        else:
            login(request, owner, backend=CONSOLE_BACKEND)
            messages.success(request, f"Welcome to Remit. Your portal is ready at {biller.portal_url()}")
            return redirect("console:dashboard", slug=biller.slug)
    return render(request, "console/signup.html", {"form": form})


# --- A biller's pages -------------------------------------------------------------------------


@console_view()
def dashboard(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    events = BillerEvent.objects.filter(biller=biller).select_related("actor")[:10]
    context = {"events": events, "team_size": team_of(biller).count()}
    context.update(dashboard_context(biller=biller, today=timezone.localdate()))
    return render(request, "console/dashboard.html", context)


@console_view(owner_only=True)
def branding(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    form = BrandingForm(request.POST or None, request.FILES or None, initial={"brand_color": biller.brand_color})
    if request.method == "POST" and form.is_valid():
        try:
            actions.biller_update_branding(
                biller=biller,
                actor=request.user,
                brand_color=form.cleaned_data["brand_color"],
                logo=form.cleaned_data["logo"],
                remove_logo=form.cleaned_data["remove_logo"],
            )
        except BillerError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Branding saved. Your portal and emails use it from now on.")
            return redirect("console:branding", slug=biller.slug)
    return render(request, "console/branding.html", {"form": form})


@console_view(owner_only=True)
def portal_address(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    posted = request.POST if request.method == "POST" else None
    slug_form = SlugForm(posted if posted and "save_slug" in posted else None, initial={"slug": biller.slug})
    domain_form = DomainForm(
        posted if posted and "save_domain" in posted else None, initial={"custom_domain": biller.custom_domain or ""}
    )
    actor = request.user
    if slug_form.is_bound and slug_form.is_valid():
        try:
            biller = actions.biller_change_slug(biller=biller, actor=actor, slug=slug_form.cleaned_data["slug"])
        except BillerError as error:
            add_action_error(slug_form, error)
        else:
            messages.success(request, f"Your portal is now at {biller.portal_url()} — the old address redirects there.")
            return redirect("console:portal_address", slug=biller.slug)
    if domain_form.is_bound and domain_form.is_valid():
        try:
            biller = actions.biller_set_custom_domain(
                biller=biller, actor=actor, domain=domain_form.cleaned_data["custom_domain"]
            )
        except BillerError as error:
            add_action_error(domain_form, error)
        else:
            messages.success(request, "Own domain saved." if biller.custom_domain else "Own domain removed.")
            return redirect("console:portal_address", slug=biller.slug)
    previous = biller.previous_slugs.order_by("-retired_at")
    return render(
        request,
        "console/portal_address.html",
        {
            "slug_form": slug_form,
            "domain_form": domain_form,
            "previous_slugs": previous,
            "base_prefix": f"{settings.REMIT_BASE_URL}/",
            "remit_host": urlsplit(settings.REMIT_BASE_URL).hostname,
        },
    )


@console_view(owner_only=True)
def team(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = actions.staff_invite(
                biller=biller,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except BillerError as error:
            add_action_error(form, error)
        else:
            messages.success(request, f"Invitation sent to {issued.invitation.email}.")
            return redirect("console:team", slug=biller.slug)
    invitations = StaffInvitation.objects.filter(
        biller=biller, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")
    return render(request, "console/team.html", {"form": form, "members": team_of(biller), "invitations": invitations})


@console_view(owner_only=True)
@require_POST
def team_remove(request: ConsoleRequest, membership_id: int) -> HttpResponse:
    biller = request.biller
    try:
        actions.staff_remove(biller=biller, actor=request.user, membership_id=membership_id)
    except BillerError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Removed from the team. They no longer have access.")
    return redirect("console:team", slug=biller.slug)


@console_view(owner_only=True)
@require_POST
def invitation_revoke(request: ConsoleRequest, invitation_id: int) -> HttpResponse:
    biller = request.biller
    invitation = StaffInvitation.objects.filter(biller=biller, pk=invitation_id).first()
    if invitation is not None:
        actions.staff_invitation_revoke(invitation=invitation, actor=request.user)
        messages.success(request, f"The invitation to {invitation.email} no longer works.")
    return redirect("console:team", slug=biller.slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = actions.invitation_by_token(token)
    if invitation is None or not invitation.is_open:
        return render(request, "console/invitation_invalid.html", status=404)
    if User.objects.console().filter(email__iexact=invitation.email).exists():
        return _accept_with_existing_login(request, token, invitation)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, user = actions.staff_invitation_accept(token=token, **form.cleaned_data)
        except BillerError as error:
            add_action_error(form, error)
        else:
            login(request, user, backend=CONSOLE_BACKEND)
            messages.success(request, f"Welcome to Remit. You have joined {membership.biller.name}.")
            return redirect("console:dashboard", slug=membership.biller.slug)
    return render(request, "console/invitation_accept.html", {"invitation": invitation, "form": form})


def _accept_with_existing_login(request: HttpRequest, token: str, invitation: StaffInvitation) -> HttpResponse:
    """The invited address already has a console login: accept once signed in as that person."""
    user = console_user(request)
    if request.method == "POST" and user is not None:
        try:
            membership, _ = actions.staff_invitation_accept(token=token, user=user)
        except BillerError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"You have joined {membership.biller.name}.")
            return redirect("console:dashboard", slug=membership.biller.slug)
    return render(
        request,
        "console/invitation_accept.html",
        {"invitation": invitation, "existing": True, "signed_in_as": user},
    )
