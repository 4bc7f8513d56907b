"""Who may use a customer account in the biller's portal: sign-up from an invoice email, colleagues
invited by an admin, roles, removal. Every change is one transaction with a ``CustomerEvent`` saying
who did it; invitation emails go through the outbox."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.customers.hooks import member_left
from remit.customers.models import (
    AccountType,
    Customer,
    CustomerEvent,
    CustomerMembership,
    PortalInvitation,
    PortalRole,
)
from remit.lib.errors import ActionError
from remit.notifications.actions import email_send
from remit.users.models import User


class AccessError(ActionError):
    pass


def _record(customer: Customer, actor: User | None, kind: str, **data: object) -> None:
    CustomerEvent.objects.create(customer=customer, actor=actor, kind=kind, data=data)


def check_new_password(password: str, confirm: str, user: User) -> None:
    if password != confirm:
        raise AccessError("The two passwords are not the same.", field="password2")
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise AccessError(" ".join(error.messages), field="password1") from None


def _new_portal_user(customer: Customer, email: str, password: str) -> User:
    user = User(email=email.lower(), biller=customer.biller)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise AccessError(
            f"{email} already has a login for {customer.biller.name}'s portal. Sign in instead, or use another email.",
            field="email",
        ) from None
    return user


@transaction.atomic
def portal_sign_up(*, customer: Customer, email: str, password: str, confirm: str, account_type: str) -> User:
    """The first person of a customer account creates a password (help article, steps 2–4).

    The address must be one the invoice was sent to: following the emailed link proves it.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    email = email.strip().lower()
    if customer.memberships.exists():
        raise AccessError(
            f"Someone at {customer.name} has already created the portal login. Sign in, or ask them to invite you."
        )
    if email not in customer.billing_emails:
        raise AccessError("Choose one of the addresses the invoice was sent to.", field="email")
    if account_type not in AccountType.values:
        raise AccessError("Select an account type: Personal or Business.", field="account_type")
    check_new_password(password, confirm, User(email=email, biller=customer.biller))
    user = _new_portal_user(customer, email, password)
    CustomerMembership.objects.create(customer=customer, user=user, role=PortalRole.ADMIN)
    Customer.objects.filter(pk=customer.pk).update(account_type=account_type)
    _record(customer, user, CustomerEvent.Kind.PORTAL_SIGNED_UP, email=email, account_type=account_type)
    return user


# --- Colleagues ----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: PortalInvitation
    token: str


def _require_admin(customer: Customer, actor: User) -> None:
    if not CustomerMembership.objects.filter(customer=customer, user=actor, role=PortalRole.ADMIN).exists():
        raise AccessError("Only an admin of this account can manage who has access.")


@transaction.atomic
def colleague_invite(*, customer: Customer, actor: User, email: str, role: str, accept_url: str) -> IssuedInvitation:
    """``accept_url`` is the portal's invitation address with ``{token}`` in it."""
    _require_admin(customer, actor)
    email = User.objects.normalize_email(email.strip()).lower()
    if role not in PortalRole.values:
        raise AccessError("Choose Admin or Member.", field="role")
    if CustomerMembership.objects.filter(customer=customer, user__email__iexact=email).exists():
        raise AccessError(f"{email} already has access.", field="email")
    if User.objects.filter(biller=customer.biller, email__iexact=email).exists():
        raise AccessError(f"{email} already uses this portal for another account.", field="email")
    PortalInvitation.objects.filter(
        customer=customer, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = PortalInvitation.objects.create(
        customer=customer,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + PortalInvitation.LIFETIME,
    )
    _record(customer, actor, CustomerEvent.Kind.COLLEAGUE_INVITED, email=email, role=role)
    email_send(
        to=[email],
        template="portal_invitation",
        biller=customer.biller,
        context={
            "invitation": invitation,
            "customer": customer,
            "inviter": actor,
            "accept_url": accept_url.format(token=token),
        },
    )
    return IssuedInvitation(invitation=invitation, token=token)


def invitation_for(customer_biller_id: int, token: str) -> PortalInvitation | None:
    return (
        PortalInvitation.objects.select_related("customer", "invited_by")
        .filter(token_hash=_token_hash(token), customer__biller_id=customer_biller_id)
        .first()
    )


@transaction.atomic
def colleague_accept(*, biller_id: int, token: str, password: str, confirm: str) -> User:
    invitation = (
        PortalInvitation.objects.select_for_update()
        .select_related("customer__biller")
        .filter(token_hash=_token_hash(token), customer__biller_id=biller_id)
        .first()
    )
    if invitation is None or not invitation.is_open:
        raise AccessError("This invitation is no longer valid. Ask your colleague to send a new one.")
    customer = invitation.customer
    check_new_password(password, confirm, User(email=invitation.email, biller=customer.biller))
    user = _new_portal_user(customer, invitation.email, password)
    CustomerMembership.objects.create(customer=customer, user=user, role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _record(customer, user, CustomerEvent.Kind.COLLEAGUE_JOINED, email=user.email, role=invitation.role)
    return user


@transaction.atomic
def colleague_invitation_revoke(*, customer: Customer, actor: User, invitation_id: int) -> None:
    _require_admin(customer, actor)
    invitation = PortalInvitation.objects.filter(customer=customer, pk=invitation_id).first()
    if invitation is None:
        raise AccessError("No such invitation.")
    changed = PortalInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if changed:
        _record(customer, actor, CustomerEvent.Kind.INVITATION_REVOKED, email=invitation.email)


def _admins_left(customer: Customer, *, without: CustomerMembership) -> int:
    return CustomerMembership.objects.filter(customer=customer, role=PortalRole.ADMIN).exclude(pk=without.pk).count()


@transaction.atomic
def colleague_remove(*, customer: Customer, actor: User, membership_id: int) -> None:
    """The person loses access at once: the membership goes and the login is switched off."""
    _require_admin(customer, actor)
    membership = (
        CustomerMembership.objects.select_for_update()
        .select_related("user")
        .filter(customer=customer, pk=membership_id)
        .first()
    )
    if membership is None:
        raise AccessError("This person doesn't have access.")
    if membership.is_admin and _admins_left(customer, without=membership) == 0:
        raise AccessError("An account needs at least one admin. Make someone else an admin first.")
    user = membership.user
    membership.delete()
    User.objects.filter(pk=user.pk).update(is_active=False)
    member_left(user, actor)  # their private bank accounts go with them
    _record(customer, actor, CustomerEvent.Kind.COLLEAGUE_REMOVED, email=user.email, role=membership.role)


@transaction.atomic
def colleague_set_role(*, customer: Customer, actor: User, membership_id: int, role: str) -> None:
    _require_admin(customer, actor)
    if role not in PortalRole.values:
        raise AccessError("Choose Admin or Member.")
    membership = CustomerMembership.objects.select_for_update().filter(customer=customer, pk=membership_id).first()
    if membership is None:
        raise AccessError("This person doesn't have access.")
    if membership.role == role:
        return
    if membership.is_admin and _admins_left(customer, without=membership) == 0:
        raise AccessError("An account needs at least one admin. Make someone else an admin first.")
    old, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    _record(customer, actor, CustomerEvent.Kind.ROLE_CHANGED, email=membership.user.email, old=old, new=role)


@transaction.atomic
def set_portal_password(*, user: User, password: str, confirm: str) -> None:
    """A new password (after a reset link). Other sessions of the person end: Django ties sessions
    to the password hash."""
    check_new_password(password, confirm, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    membership = CustomerMembership.objects.filter(user=user).select_related("customer").first()
    if membership is not None:
        _record(membership.customer, user, CustomerEvent.Kind.PASSWORD_CHANGED, email=user.email)
