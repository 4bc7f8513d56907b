"""A biller's customers: who invoices are for, where they are emailed, and (issue 4) who may sign in
to pay them. Changes go through ``actions.py``; reads through ``selectors.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class AccountType(models.TextChoices):
    """Chosen by the customer at sign-up. It decides how their bank is debited: a Personal (consumer)
    account by a WEB entry, a Business account by a CCD entry (see NACHA.md)."""

    PERSONAL = "personal", "Personal"
    BUSINESS = "business", "Business"


class Customer(models.Model):
    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(max_length=200)
    reference = models.CharField(
        "customer reference", max_length=64, blank=True, help_text="Your own ID for this customer, if you have one."
    )
    billing_emails = models.JSONField("billing email addresses", default=list)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state", max_length=100, blank=True)
    postal_code = models.CharField("ZIP code", max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    account_type = models.CharField(
        "portal account type",
        max_length=10,
        choices=AccountType.choices,
        blank=True,
        help_text="Set when the customer signs up to the portal.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "biller",
                Lower("reference"),
                condition=~models.Q(reference=""),
                name="customer_reference_unique_per_biller",
            )
        ]
        indexes = [models.Index(fields=["biller", "name"], name="customer_biller_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(
            part for part in [f"{self.city}," if self.city else "", self.state, self.postal_code] if part
        )
        lines = [self.address_line1, self.address_line2, city_line.strip().rstrip(",")]
        if self.country and self.country != "US":
            lines.append(self.country)
        return [line for line in lines if line]


class PortalRole(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class CustomerMembership(models.Model):
    """A person's access to a customer account in the biller's portal. One portal login belongs to
    exactly one customer account; removing the membership removes the access at once."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField("users.User", on_delete=models.CASCADE, related_name="customer_membership")
    role = models.CharField(max_length=10, choices=PortalRole.choices, default=PortalRole.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.customer}"

    @property
    def is_admin(self) -> bool:
        return self.role == PortalRole.ADMIN


class PortalInvitation(models.Model):
    """An admin's invitation of a colleague to the customer account. Only the token's hash is kept."""

    LIFETIME: ClassVar[timedelta] = timedelta(days=7)

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=PortalRole.choices, default=PortalRole.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class CustomerEvent(models.Model):
    """Append-only history of a customer account: its record, and who got or lost portal access."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        ARCHIVED = "archived", "Archived"
        RESTORED = "restored", "Restored"
        IMPORTED = "imported", "Imported"
        PORTAL_SIGNED_UP = "portal_signed_up", "Signed up to the portal"
        COLLEAGUE_INVITED = "colleague_invited", "Colleague invited"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        COLLEAGUE_JOINED = "colleague_joined", "Colleague joined"
        COLLEAGUE_REMOVED = "colleague_removed", "Colleague removed"
        ROLE_CHANGED = "role_changed", "Role changed"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        TWO_FACTOR_CHANGED = "two_factor_changed", "Two-factor sign-in changed"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    # The API key that made the change (its actor is None). RESTRICT: keys are revoked, never deleted,
    # and a key that wrote history can't be deleted alone; its biller's deletion still takes both.
    api_key = models.ForeignKey("api.ApiKey", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
