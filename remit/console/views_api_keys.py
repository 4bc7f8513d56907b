"""Settings → API keys: an owner creates a key (shown once, right after) and revokes keys.
Staff may see the list but not change it. The rules live in ``remit.api.actions``."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from remit.api.actions import ApiKeyError, api_key_create, api_key_revoke
from remit.api.models import ApiKey
from remit.console.forms import ApiKeyForm
from remit.console.views import ConsoleRequest, console_view
from remit.site.forms import add_action_error

NEW_KEY_SESSION = "api_key_new"


@console_view(owner_only=True)
def api_keys(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_key_create(biller=biller, actor=request.user, name=form.cleaned_data["name"])
        except ApiKeyError as error:
            add_action_error(form, error)
        else:
            # Shown once, on the page this redirects to; the session forgets it as it is shown, and a
            # reload of that page creates nothing.
            request.session[NEW_KEY_SESSION] = {"id": issued.api_key.pk, "secret": issued.secret}
            return redirect("console:api_keys", slug=biller.slug)
    keys = ApiKey.objects.filter(biller=biller).select_related("created_by", "revoked_by")
    new = request.session.pop(NEW_KEY_SESSION, None) if request.method == "GET" else None
    shown = next((key for key in keys if new and key.pk == new["id"] and key.is_active), None)
    context = {"form": form, "keys": keys, "issued": shown, "secret": new["secret"] if shown and new else ""}
    response = render(request, "console/api_keys.html", context)
    if shown is not None:
        response["Cache-Control"] = "no-store"  # the page carries the whole key: no cache may keep it
    return response


@console_view(owner_only=True)
@require_POST
def api_key_revoke_view(request: ConsoleRequest, key_id: int) -> HttpResponse:
    try:
        api_key = api_key_revoke(biller=request.biller, actor=request.user, key_id=key_id)
    except ApiKeyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The key “{api_key.name}” ({api_key.prefix}…) is revoked. It no longer works.")
    return redirect("console:api_keys", slug=request.biller.slug)
