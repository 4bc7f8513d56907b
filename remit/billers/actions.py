"""Every change to a biller goes through one of these functions.

Each runs in one transaction, appends a ``BillerEvent`` and queues its emails in the outbox (which
delivers them only once the transaction has committed). Views and commands parse and authorise,
then call an action; none of them repeats these rules.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.billers.addresses import AddressError, check_domain, check_slug, suggest_slug
from remit.billers.models import (
    Biller,
    BillerEvent,
    Membership,
    PreviousSlug,
    Role,
    StaffInvitation,
)
from remit.billers.permissions import require_owner
from remit.lib.errors import ActionError
from remit.lib.images import Logo
from remit.lib.terms import TERMS_DAYS
from remit.notifications.actions import email_send
from remit.users.models import User

# What a biller may put before its invoice numbers (the numbers themselves: invoices.numbering).
PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9\-_/.#]{0,12}$")


class BillerError(ActionError):
    """A request the rules refuse; ``field`` names the form field it belongs to, if any."""


def _record(biller: Biller, actor: User | None, kind: str, **data: Any) -> BillerEvent:
    return BillerEvent.objects.create(biller=biller, actor=actor, kind=kind, data=data)


def slug_is_taken(slug: str, *, biller: Biller | None = None) -> bool:
    """Whether another biller uses ``slug`` now or used it before (old addresses keep redirecting)."""
    others_now = Biller.objects.filter(slug=slug)
    others_before = PreviousSlug.objects.filter(slug=slug)
    if biller is not None:
        others_now = others_now.exclude(pk=biller.pk)
        others_before = others_before.exclude(biller=biller)
    return others_now.exists() or others_before.exists()


def unique_slug_for(name: str) -> str:
    base = suggest_slug(name)
    candidate, number = base, 1
    while slug_is_taken(candidate):
        number += 1
        suffix = f"-{number}"
        candidate = base[: 50 - len(suffix)] + suffix
    return candidate


@transaction.atomic
def biller_sign_up(*, business_name: str, owner_name: str, email: str, password: str) -> tuple[Biller, User]:
    """A business signs up: its biller, its owner's console login and the owner's membership."""
    business_name = " ".join(business_name.split())
    if not business_name:
        raise BillerError("Enter your business name.", field="business_name")
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.console().filter(email__iexact=email).exists():
        raise BillerError("A console account with this email already exists. Sign in instead.", field="email")
    owner = User(email=email, full_name=" ".join(owner_name.split()))
    try:
        validate_password(password, user=owner)
    except ValidationError as error:
        raise BillerError(" ".join(error.messages), field="password") from None
    owner.set_password(password)
    try:
        with transaction.atomic():
            owner.save()
            biller = Biller.objects.create(name=business_name, slug=unique_slug_for(business_name))
    except IntegrityError:
        # Someone signed up with the same email, or took the same address, a moment ago.
        if User.objects.console().filter(email__iexact=email).exists():
            raise BillerError(
                "A console account with this email already exists. Sign in instead.", field="email"
            ) from None
        raise BillerError("Another business took the same portal address a moment ago. Please submit again.") from None
    Membership.objects.create(biller=biller, user=owner, role=Role.OWNER)
    _record(biller, owner, BillerEvent.Kind.SIGNED_UP, name=biller.name, slug=biller.slug)
    return biller, owner


@transaction.atomic
def biller_update_branding(
    *, biller: Biller, actor: User, brand_color: str, logo: Logo | None = None, remove_logo: bool = False
) -> Biller:
    biller = Biller.objects.select_for_update().get(pk=biller.pk)
    changes: dict[str, Any] = {}
    brand_color = brand_color.strip().lower()
    if brand_color != biller.brand_color:
        Biller._meta.get_field("brand_color").run_validators(brand_color)
        changes["brand_color"] = [biller.brand_color, brand_color]
        biller.brand_color = brand_color
    if logo is not None:
        changes["logo"] = [biller.logo_sha256 or None, logo.sha256]
        biller.logo_png, biller.logo_sha256 = logo.png, logo.sha256
        biller.logo_width, biller.logo_height = logo.width, logo.height
    elif remove_logo and biller.has_logo:
        changes["logo"] = [biller.logo_sha256, None]
        biller.logo_png, biller.logo_sha256, biller.logo_width, biller.logo_height = None, "", None, None
    if changes:
        biller.save()
        _record(biller, actor, BillerEvent.Kind.BRANDING_CHANGED, **changes)
    return biller


@transaction.atomic
def biller_change_slug(*, biller: Biller, actor: User, slug: str) -> Biller:
    """Move the portal to a new address. The old address keeps redirecting and stays reserved."""
    biller = Biller.objects.select_for_update().get(pk=biller.pk)
    try:
        slug = check_slug(slug, company_name=biller.name)
    except AddressError as error:
        raise BillerError(str(error), field="slug") from None
    if slug == biller.slug:
        return biller
    if slug_is_taken(slug, biller=biller):
        raise BillerError(f"“{slug}” is already taken. Choose another address.", field="slug")
    old = biller.slug
    PreviousSlug.objects.filter(biller=biller, slug=slug).delete()  # coming back to an old address
    PreviousSlug.objects.create(biller=biller, slug=old)
    biller.slug = slug
    try:
        with transaction.atomic():
            biller.save(update_fields=["slug"])
    except IntegrityError:
        raise BillerError(f"“{slug}” is already taken. Choose another address.", field="slug") from None
    _record(biller, actor, BillerEvent.Kind.SLUG_CHANGED, old=old, new=slug)
    return biller


@transaction.atomic
def biller_set_custom_domain(*, biller: Biller, actor: User, domain: str) -> Biller:
    biller = Biller.objects.select_for_update().get(pk=biller.pk)
    new: str | None = None
    if domain.strip():
        try:
            new = check_domain(domain, remit_hosts=settings.REMIT_HOSTS)
        except AddressError as error:
            raise BillerError(str(error), field="custom_domain") from None
    if new == biller.custom_domain:
        return biller
    if new and Biller.objects.filter(custom_domain=new).exclude(pk=biller.pk).exists():
        raise BillerError("Another biller already uses this domain.", field="custom_domain")
    old, biller.custom_domain = biller.custom_domain, new
    try:
        with transaction.atomic():
            biller.save(update_fields=["custom_domain"])
    except IntegrityError:
        raise BillerError("Another biller already uses this domain.", field="custom_domain") from None
    _record(biller, actor, BillerEvent.Kind.DOMAIN_CHANGED, old=old, new=new)
    return biller


# --- The console team --------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TEAM_OWNERS_ONLY = "Only an owner can manage the team."


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: StaffInvitation
    token: str  # shown only in the email; the database keeps its hash


@transaction.atomic
def staff_invite(*, biller: Biller, actor: User, email: str, role: str) -> IssuedInvitation:
    require_owner(biller, actor, message=TEAM_OWNERS_ONLY)
    email = User.objects.normalize_email(email.strip()).lower()
    if role not in Role.values:
        raise BillerError("Choose Owner or Staff.", field="role")
    if Membership.objects.filter(biller=biller, user__email__iexact=email, user__biller__isnull=True).exists():
        raise BillerError(f"{email} is already on the team.", field="email")
    # A new invitation replaces any earlier open one for the same address.
    StaffInvitation.objects.filter(
        biller=biller, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation.objects.create(
        biller=biller,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + StaffInvitation.LIFETIME,
    )
    _record(biller, actor, BillerEvent.Kind.STAFF_INVITED, email=email, role=role)
    email_send(
        to=[email],
        template="staff_invitation",
        biller=biller,
        context={
            "invitation": invitation,
            "inviter": actor,
            "accept_url": f"{settings.REMIT_BASE_URL}/console/invitations/{token}",
        },
    )
    return IssuedInvitation(invitation=invitation, token=token)


def invitation_by_token(token: str) -> StaffInvitation | None:
    return StaffInvitation.objects.select_related("biller", "invited_by").filter(token_hash=_token_hash(token)).first()


@transaction.atomic
def staff_invitation_revoke(*, invitation: StaffInvitation, actor: User) -> None:
    require_owner(invitation.biller, actor, message=TEAM_OWNERS_ONLY)
    changed = StaffInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if changed:
        _record(invitation.biller, actor, BillerEvent.Kind.INVITATION_REVOKED, email=invitation.email)


@transaction.atomic
def staff_invitation_accept(
    *, token: str, user: User | None = None, full_name: str = "", password: str = ""
) -> tuple[Membership, User]:
    """Join the team. ``user`` is the signed-in console user; without one, a login is created."""
    invitation = StaffInvitation.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
    if invitation is None or not invitation.is_open:
        raise BillerError("This invitation is no longer valid. Ask the owner to send a new one.")
    if user is None:
        if User.objects.console().filter(email__iexact=invitation.email).exists():
            raise BillerError("You already have a console account: sign in to accept the invitation.")
        user = User(email=invitation.email, full_name=" ".join(full_name.split()))
        if not user.full_name:
            raise BillerError("Enter your name.", field="full_name")
        try:
            validate_password(password, user=user)
        except ValidationError as error:
            raise BillerError(" ".join(error.messages), field="password") from None
        user.set_password(password)
        user.save()
    elif user.email.lower() != invitation.email.lower() or not user.is_console_user:
        raise BillerError(f"This invitation is for {invitation.email}. Sign in with that address to accept it.")
    membership, _ = Membership.objects.get_or_create(
        biller=invitation.biller, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _record(invitation.biller, user, BillerEvent.Kind.STAFF_JOINED, email=user.email, role=membership.role)
    return membership, user


@transaction.atomic
def staff_remove(*, biller: Biller, actor: User, membership_id: int) -> None:
    """Remove someone from the team; they lose access to this biller's console at once."""
    require_owner(biller, actor, message=TEAM_OWNERS_ONLY)
    membership = (
        Membership.objects.select_for_update().select_related("user").filter(biller=biller, pk=membership_id).first()
    )
    if membership is None:
        raise BillerError("This person is not on the team.")
    owners = Membership.objects.select_for_update().filter(biller=biller, role=Role.OWNER)
    if membership.is_owner and owners.count() == 1:
        raise BillerError("A biller needs at least one owner. Make someone else an owner first.")
    membership.delete()
    _record(biller, actor, BillerEvent.Kind.STAFF_REMOVED, email=membership.user.email, role=membership.role)


@transaction.atomic
def biller_update_invoice_settings(*, biller: Biller, actor: User, invoice_prefix: str, default_terms: str) -> Biller:
    biller = Biller.objects.select_for_update().get(pk=biller.pk)
    if not PREFIX_PATTERN.match(invoice_prefix):
        raise BillerError("Use up to 12 letters, digits and - _ / . # for the prefix.", field="invoice_prefix")
    if default_terms not in TERMS_DAYS:
        raise BillerError("Choose payment terms.", field="default_terms")
    changes = {
        name: [getattr(biller, name), value]
        for name, value in {"invoice_prefix": invoice_prefix, "default_terms": default_terms}.items()
        if getattr(biller, name) != value
    }
    if changes:
        biller.invoice_prefix, biller.default_terms = invoice_prefix, default_terms
        biller.save(update_fields=["invoice_prefix", "default_terms"])
        _record(biller, actor, BillerEvent.Kind.INVOICING_CHANGED, **changes)
    return biller
