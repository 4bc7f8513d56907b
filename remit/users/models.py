"""The people who sign in to Remit.

Two audiences share one table:

- **console users** (``biller`` is empty): the billers' owners and staff, plus Remit's operators
  (``is_staff``). Their e-mail address is unique among console users; one person may work for
  several billers through ``billers.Membership``.
- **portal users** (``biller`` is set): a biller's customers. The same e-mail address may sign up
  at two billers and gets two separate logins — the portals share nothing.

So the e-mail address is unique per audience, not globally, and the authentication backends in
``backends.py`` always look a person up within one audience.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def console(self) -> models.QuerySet[User]:
        return self.filter(biller__isnull=True)

    def get_by_natural_key(self, username: str | None) -> User:
        # Used by `remit createsuperuser` and the admin: operators are console users.
        return self.console().get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", max_length=254)
    full_name = models.CharField("full name", max_length=150, blank=True)
    biller = models.ForeignKey(
        "billers.Biller",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="portal_users",
        help_text="Set for a customer's portal login; empty for console users.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("Remit operator", default=False, help_text="May use the operators' admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(biller__isnull=True),
                name="user_console_email_unique",
                violation_error_message="A console user with this e-mail address already exists.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                "biller",
                condition=models.Q(biller__isnull=False),
                name="user_portal_email_unique_per_biller",
                violation_error_message="This biller already has a portal user with this e-mail address.",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_console_user(self) -> bool:
        return self.biller_id is None

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class FailedSignIn(models.Model):
    """One wrong password, kept for the lockout window (see throttle.py)."""

    audience = models.CharField(max_length=40, help_text='"console" or "portal:<biller id>"')
    email = models.CharField(max_length=254)
    ip_address = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["audience", "email", "created_at"], name="failed_signin_account"),
            models.Index(fields=["ip_address", "created_at"], name="failed_signin_address"),
        ]
