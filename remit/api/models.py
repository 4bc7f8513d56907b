"""API keys (one biller each) and the responses remembered for ``Idempotency-Key`` retries.

Keys are never deleted: a revoked key keeps its row (who made it, when it was last used, when and
by whom it was revoked) as the record of what could reach the biller's data.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ApiKey(models.Model):
    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. “Accounting sync”.")
    prefix = models.CharField(max_length=16, unique=True, help_text="The key's first characters; they identify it.")
    key_sha256 = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first successful response to a POST that carried an ``Idempotency-Key``.

    Written in the same transaction as whatever the request created, so a retry either finds both
    or neither; the unique constraint makes a concurrent duplicate wait for the first to finish.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    request_method = models.CharField(max_length=10)
    request_path = models.CharField(max_length=2000)
    request_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    response_status = models.PositiveSmallIntegerField()
    # Text, not JSON: PostgreSQL's jsonb would reorder the keys, and a replay must be the same document.
    response_body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint("api_key", "key", name="idempotency_key_once_per_api_key")]

    @property
    def fingerprint(self) -> str:
        return f"{self.request_method} {self.request_path} {self.request_sha256}"
