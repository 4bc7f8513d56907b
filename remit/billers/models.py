"""Billers — the businesses that use Remit to get paid — with their branding, portal address
and console team. Changes go through ``actions.py``; reads through ``selectors.py``."""

from __future__ import annotations

import datetime
from datetime import timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

DEFAULT_BRAND_COLOR = "#1d5c8d"

hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as # followed by six hex digits, e.g. #1d5c8d.")


class Biller(models.Model):
    name = models.CharField("business name", max_length=120)
    slug = models.SlugField("portal address", max_length=50, unique=True)
    custom_domain = models.CharField("own domain", max_length=253, unique=True, null=True, blank=True)
    brand_color = models.CharField("brand colour", max_length=7, default=DEFAULT_BRAND_COLOR, validators=[hex_color])
    logo_png = models.BinaryField("logo (PNG)", null=True, blank=True, editable=False)
    logo_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    logo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    logo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    invoice_prefix = models.CharField(
        "invoice number prefix",
        max_length=12,
        default="INV-",
        blank=True,
        help_text="Put before every new invoice number.",
    )
    default_terms = models.CharField("default payment terms", max_length=20, default="net_30")
    # When the biller's bank must have the day's ACH file; a payment made after it can't be debited
    # before the banking day after next (see remit/payments/dates.py). Issue 7 adds the rest.
    ach_cutoff_time = models.TimeField("daily ACH cut-off time", default=datetime.time(16, 0))
    time_zone = models.CharField("time zone", max_length=64, default="America/New_York")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_sha256)

    @property
    def logo_version(self) -> str:
        return self.logo_sha256[:12]

    def portal_url(self, path: str = "") -> str:
        """The absolute address of this biller's portal (for emails and links shown to billers)."""
        path = path.lstrip("/")
        if self.custom_domain:
            scheme = "https" if settings.PRODUCTION else "http"
            return f"{scheme}://{self.custom_domain}/{path}"
        return f"{settings.REMIT_BASE_URL}/{self.slug}/{path}"

    def local_now(self, now: datetime.datetime | None = None) -> datetime.datetime:
        """``now`` (by default, this instant) on the biller's clock, in its time zone."""
        return (now or timezone.now()).astimezone(ZoneInfo(self.time_zone))

    def today(self, now: datetime.datetime | None = None) -> datetime.date:
        """The biller's date: what "today" means for its due dates, cut-offs, reminders and statements."""
        return self.local_now(now).date()


class PreviousSlug(models.Model):
    """An address the biller used before. It keeps redirecting there and no one else can take it."""

    biller = models.ForeignKey(Biller, on_delete=models.CASCADE, related_name="previous_slugs")
    slug = models.SlugField(max_length=50, unique=True)
    retired_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.slug


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    STAFF = "staff", "Staff"


class Membership(models.Model):
    """A console user's place on a biller's team."""

    biller = models.ForeignKey(Biller, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint("biller", "user", name="membership_unique")]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.biller}"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class StaffInvitation(models.Model):
    """An invitation to join a biller's console team. Only the token's hash is stored."""

    LIFETIME: ClassVar[timedelta] = timedelta(days=7)

    biller = models.ForeignKey(Biller, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "biller",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.biller}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class BillerEvent(models.Model):
    """Append-only history of what changed at a biller, and who changed it."""

    class Kind(models.TextChoices):
        SIGNED_UP = "signed_up", "Signed up"
        BRANDING_CHANGED = "branding_changed", "Branding changed"
        SLUG_CHANGED = "slug_changed", "Portal address changed"
        DOMAIN_CHANGED = "domain_changed", "Own domain changed"
        INVOICING_CHANGED = "invoicing_changed", "Invoice settings changed"
        STAFF_INVITED = "staff_invited", "Staff invited"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        STAFF_JOINED = "staff_joined", "Staff joined"
        STAFF_REMOVED = "staff_removed", "Staff removed"

    biller = models.ForeignKey(Biller, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.biller}"
