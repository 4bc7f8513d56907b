"""Colleagues: "other colleagues that are given access to use the same portal" (help article, step 6).
An admin invites, sees who has access, changes roles and removes people; members see the list."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from remit.customers import access
from remit.customers.access import AccessError
from remit.customers.models import PortalInvitation, PortalRole
from remit.portal.context import MemberRequest, PortalRequest, member_required, portal_reverse, portal_view
from remit.portal.forms import InviteColleagueForm, SetPasswordForm
from remit.portal.views_auth import sign_in_person
from remit.site.forms import add_action_error


@portal_view
@member_required
def people(request: MemberRequest) -> HttpResponse:
    form = InviteColleagueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept_url = request.biller.portal_url("invitations/{token}/")
        try:
            issued = access.colleague_invite(
                customer=request.customer,
                actor=request.membership.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                accept_url=accept_url,
            )
        except AccessError as error:
            add_action_error(form, error)
        else:
            messages.success(request, f"Invitation sent to {issued.invitation.email}.")
            return redirect(portal_reverse(request, "people"))
    invitations = PortalInvitation.objects.filter(
        customer=request.customer, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")
    members = request.customer.memberships.select_related("user").order_by("created_at")
    return render(request, "portal/people.html", {"form": form, "members": members, "invitations": invitations})


def _act(request: MemberRequest, action: str, **kwargs: object) -> HttpResponse:
    try:
        getattr(access, action)(customer=request.customer, actor=request.membership.user, **kwargs)
    except AccessError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Done.")
    return redirect(portal_reverse(request, "people"))


@portal_view
@member_required
@require_POST
def person_remove(request: MemberRequest, membership_id: int) -> HttpResponse:
    return _act(request, "colleague_remove", membership_id=membership_id)


@portal_view
@member_required
@require_POST
def person_role(request: MemberRequest, membership_id: int) -> HttpResponse:
    role = request.POST.get("role", "")
    return _act(
        request, "colleague_set_role", membership_id=membership_id, role=role if role in PortalRole.values else ""
    )


@portal_view
@member_required
@require_POST
def invitation_revoke(request: MemberRequest, invitation_id: int) -> HttpResponse:
    return _act(request, "colleague_invitation_revoke", invitation_id=invitation_id)


@portal_view
def invitation_accept(request: PortalRequest, token: str) -> HttpResponse:
    invitation = access.invitation_for(request.biller.pk, token)
    if invitation is None or not invitation.is_open:
        return render(request, "portal/invitation_invalid.html", status=404)
    form = SetPasswordForm(request.POST or None, email=invitation.email, biller=request.biller)
    if request.method == "POST" and form.is_valid():
        try:
            user = access.colleague_accept(
                biller_id=request.biller.pk,
                token=token,
                password=form.cleaned_data["password1"],
                confirm=form.cleaned_data["password2"],
            )
        except AccessError as error:
            add_action_error(form, error)
        else:
            sign_in_person(request, user)
            messages.success(request, f"Welcome. You now have access to {invitation.customer.name}'s account.")
            return redirect(portal_reverse(request, "home"))
    return render(request, "portal/invitation_accept.html", {"invitation": invitation, "form": form})
