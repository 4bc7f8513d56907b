"""A biller's customers: who invoices are for, where they are emailed, and (issue 4) who may sign in
to pay them. Changes go through ``actions.py``; reads through ``selectors.py``."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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


class CustomerEvent(models.Model):
    """Append-only history of a customer's record."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        ARCHIVED = "archived", "Archived"
        RESTORED = "restored", "Restored"
        IMPORTED = "imported", "Imported"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
