"""Two-factor sign-in: the code step after the password, and turning it on or off."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from remit.customers.models import CustomerEvent
from remit.portal.context import MemberRequest, PortalRequest, member_required, portal_reverse, portal_view, safe_next
from remit.portal.forms import CodeForm, TurnOffForm
from remit.portal.two_factor import finish_second_step, pending_user
from remit.portal.views_auth import sign_in_person
from remit.site.forms import add_action_error
from remit.users import throttle, two_factor


@portal_view
def signin_code(request: PortalRequest) -> HttpResponse:
    user, next_url = pending_user(request, request.biller.pk)
    if user is None:
        messages.info(request, "Sign in again: the code step expired.")
        return redirect(portal_reverse(request, "signin"))
    form = CodeForm(request.POST or None)
    scope, ip = f"two-factor:{request.biller.pk}", throttle.client_ip(request)
    if request.method == "POST" and form.is_valid():
        lock = throttle.locked(audience=scope, email=user.email, ip=ip)
        if lock is not None:
            form.add_error("code", lock.message)
        elif two_factor.verify(user, form.cleaned_data["code"]):
            finish_second_step(request)
            throttle.clear(audience=scope, email=user.email)
            sign_in_person(request, user)
            return redirect(safe_next(request, next_url))
        else:
            throttle.record_failure(audience=scope, email=user.email, ip=ip)
            form.add_error("code", "That code is not right. Type the newest code from your app.")
    return render(request, "portal/signin_code.html", {"form": form})


@portal_view
@member_required
def security(request: MemberRequest) -> HttpResponse:
    user = request.membership.user
    enabled = two_factor.second_step_needed(user)
    if enabled:
        off_form = TurnOffForm(request.POST or None)
        if request.method == "POST" and off_form.is_valid():
            try:
                two_factor.turn_off(user, password=off_form.cleaned_data["password"])
            except two_factor.TwoFactorError as error:
                add_action_error(off_form, error)
            else:
                _record(request, enabled=False)
                messages.success(request, "Two-factor sign-in is off.")
                return redirect(portal_reverse(request, "security"))
        return render(request, "portal/security.html", {"enabled": True, "form": off_form})
    device = two_factor.pending_device(user)
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = "The 6-digit code your app shows now."
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.confirm(user, form.cleaned_data["code"])
        except two_factor.TwoFactorError as error:
            add_action_error(form, error)
        else:
            _record(request, enabled=True)
            return render(request, "portal/security_backup_codes.html", {"codes": codes})
    context = {
        "enabled": False,
        "form": form,
        "qr": two_factor.qr_code_data_uri(device, issuer=request.biller.name, account=user.email),
        "key": two_factor.manual_key(device),
    }
    return render(request, "portal/security.html", context)


def _record(request: MemberRequest, *, enabled: bool) -> None:
    CustomerEvent.objects.create(
        customer=request.customer,
        actor=request.membership.user,
        kind=CustomerEvent.Kind.TWO_FACTOR_CHANGED,
        data={"email": request.membership.user.email, "enabled": enabled},
    )
