"""Reads scoped by construction: a console user reaches only the billers they work for."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from remit.billers.models import Biller, Membership, PreviousSlug, Role
from remit.users.models import User


def memberships_of(user: User) -> QuerySet[Membership]:
    if not user.is_authenticated or not user.is_console_user:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("biller").order_by("biller__name")


def console_membership(user: User, slug: str) -> Membership:
    """The signed-in user's membership at the biller with this slug; 404 for everyone else."""
    membership = memberships_of(user).filter(biller__slug=slug).first()
    if membership is None:
        raise Http404("No such biller.")
    return membership


def current_slug_for(old_slug: str) -> str | None:
    """Where an old portal address points now, if it was ever used."""
    previous = PreviousSlug.objects.select_related("biller").filter(slug=old_slug).first()
    return previous.biller.slug if previous else None


def biller_by_slug(slug: str) -> Biller | None:
    return Biller.objects.filter(slug=slug).first()


def biller_by_domain(host: str) -> Biller | None:
    return Biller.objects.filter(custom_domain=host).first()


def is_biller_domain(domain: str) -> bool:
    """Has a biller set this (normalised) domain as its own portal domain? One query on a unique index."""
    return Biller.objects.filter(custom_domain=domain).exists()


def team_of(biller: Biller) -> QuerySet[Membership]:
    return Membership.objects.filter(biller=biller).select_related("user").order_by("user__full_name", "user__email")


def is_owner(biller_id: int, user: User) -> bool:
    return Membership.objects.filter(biller_id=biller_id, user=user, role=Role.OWNER).exists()


def owner_emails(biller_id: int) -> list[str]:
    """Where the biller's notices go: its owners."""
    return list(Membership.objects.filter(biller_id=biller_id, role=Role.OWNER).values_list("user__email", flat=True))
