"""Who gets what: the unsubscribe link of a non-essential email, and the signed-in person's Email
preferences (gear menu). Both write through ``remit.notifications.preferences``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from remit.billers.selectors import biller_by_slug, current_slug_for
from remit.notifications.categories import ALWAYS_SENT, DESCRIPTIONS, IN_A_SENTENCE, EmailCategory
from remit.notifications.models import OptOutHow
from remit.notifications.preferences import (
    PreferenceError,
    email_opt_in,
    email_opt_out,
    email_preferences_save,
    opted_out_categories,
)
from remit.notifications.unsubscribe import read_unsubscribe_token
from remit.portal.context import MemberRequest, PortalRequest, member_required, portal_reverse, portal_view
from remit.site.forms import add_action_error

PAGE_ACTIONS = {"unsubscribe", "resubscribe"}


def _at_any_address(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like ``portal_view``, except that an address the biller used before serves the page itself
    instead of redirecting: a mail app's one-click POST is not expected to follow a redirect, and an
    email sent before the biller moved its portal keeps the old address in its header."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, biller_slug: str | None = None, **kwargs: Any) -> HttpResponse:
        biller = getattr(request, "domain_biller", None)
        if biller is None and biller_slug is not None:
            current = biller_slug if biller_by_slug(biller_slug) else current_slug_for(biller_slug)
            biller = biller_by_slug(current) if current else None
        if biller is None:
            raise Http404("No portal at this address.")
        request.biller = biller  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt  # RFC 8058: a mail app POSTs with no cookie and no form of ours; the signed token is the proof
@require_http_methods(["GET", "HEAD", "POST"])
@_at_any_address
def unsubscribe(request: PortalRequest, token: str) -> HttpResponse:
    """GET shows what the link stops and asks (mail scanners open links: a GET changes nothing).
    A POST from the page's buttons unsubscribes or resubscribes and shows the page again; any other
    POST is a mail app's one-click unsubscribe (body ``List-Unsubscribe=One-Click``), answered in
    plain text."""
    found = read_unsubscribe_token(token)
    one_click = request.method == "POST" and request.POST.get("action") not in PAGE_ACTIONS
    if found is None or found.biller_id != request.biller.pk:
        if one_click:
            return HttpResponse("This unsubscribe link is not valid.\n", status=404, content_type="text/plain")
        return render(request, "portal/unsubscribe_invalid.html", status=404)
    done = ""
    if one_click:
        email_opt_out(biller=request.biller, address=found.address, category=found.category, how=OptOutHow.ONE_CLICK)
        return HttpResponse("Unsubscribed.\n", content_type="text/plain")
    if request.method == "POST" and request.POST["action"] == "unsubscribe":
        email_opt_out(biller=request.biller, address=found.address, category=found.category, how=OptOutHow.LINK_PAGE)
        done = "unsubscribed"
    elif request.method == "POST":
        email_opt_in(biller=request.biller, address=found.address, category=found.category, how=OptOutHow.LINK_PAGE)
        done = "resubscribed"
    stopped = found.category in opted_out_categories(biller_id=request.biller.pk, address=found.address)
    context = {
        "address": found.address,
        "category": IN_A_SENTENCE[found.category],
        "stopped": stopped,
        "done": done,
    }
    return render(request, "portal/unsubscribe.html", context)


class EmailPreferencesForm(forms.Form):
    receive = forms.MultipleChoiceField(
        label="Send me", choices=EmailCategory.choices, widget=forms.CheckboxSelectMultiple, required=False
    )


@portal_view
@member_required
def email_preferences(request: MemberRequest) -> HttpResponse:
    """The signed-in person's choices for their own email address at this biller: the same rows the
    unsubscribe link writes, so either way shows here."""
    user = request.membership.user
    stopped = opted_out_categories(biller_id=request.biller.pk, address=user.email)
    initial = {"receive": [category for category in EmailCategory.values if category not in stopped]}
    form = EmailPreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            email_preferences_save(
                biller=request.biller, address=user.email, receive=form.cleaned_data["receive"], actor=user
            )
        except PreferenceError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Email preferences saved.")
            return redirect(portal_reverse(request, "email_preferences"))
    choices = [(choice, DESCRIPTIONS[EmailCategory(choice.data["value"])]) for choice in form["receive"]]
    context = {"form": form, "choices": choices, "always_sent": ALWAYS_SENT, "address": user.email}
    return render(request, "portal/email_preferences.html", context)
