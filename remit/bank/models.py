"""A biller's connection to its bank over SFTP (with optional PGP), every change to it, the delivery
of each NACHA file, and each file picked up from the bank.

Secrets — the SSH private key, the SFTP password, the biller's PGP private key and its passphrase —
are stored encrypted with ``remit.lib.crypto`` (like bank account numbers) and never copied into the
history, a page, an email or a log line.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuthMethod(models.TextChoices):
    KEY = "key", "SSH key"
    PASSWORD = "password", "Password"


class BankConnection(models.Model):
    """Where the biller's bank takes its files, and how Remit proves who it is. Owner-only."""

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, related_name="bank_connection")
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=22)
    username = models.CharField("user name", max_length=100)
    auth = models.CharField("sign in with", max_length=10, choices=AuthMethod.choices, default=AuthMethod.KEY)
    ssh_private_key_encrypted = models.TextField(blank=True, editable=False)
    ssh_public_key = models.TextField("SSH public key", blank=True, editable=False)
    password_encrypted = models.TextField(blank=True, editable=False)
    # The bank's host key, pinned: "TYPE BASE64" and its SHA256 fingerprint.
    host_key = models.TextField(blank=True)
    host_key_fingerprint = models.CharField(max_length=60, blank=True)
    # Another key the server presented: every transfer stops until an owner pins a key again.
    host_key_seen = models.TextField(blank=True)
    host_key_seen_fingerprint = models.CharField(max_length=60, blank=True)
    host_key_changed_at = models.DateTimeField(null=True, blank=True)
    outbound_dir = models.CharField("folder for Remit's files", max_length=255, default="/")
    inbound_dir = models.CharField("folder of the bank's files", max_length=255, default="/")
    pgp_bank_key = models.TextField("bank's PGP public key", blank=True)  # public: not a secret
    pgp_bank_fingerprint = models.CharField(max_length=60, blank=True)
    pgp_own_key_encrypted = models.TextField(blank=True, editable=False)
    pgp_own_passphrase_encrypted = models.TextField(blank=True, editable=False)
    pgp_own_fingerprint = models.CharField(max_length=60, blank=True)
    enabled = models.BooleanField(default=False)
    # Files written from then on are delivered (older ones were the biller's to take to the bank).
    deliver_from = models.DateTimeField(null=True, blank=True)
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_report = models.TextField(blank=True)
    # The bank's server has been failing since (cleared by the next transfer that works); the owner is
    # emailed when it starts failing, not at every retry.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=65535), name="bank_port_range"),
        ]

    def __str__(self) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return str(self)

    @property
    def host_key_type(self) -> str:
        return self.host_key.split()[0] if self.host_key else ""

    @property
    def transfers_stopped(self) -> bool:
        return bool(self.host_key_seen) or self.host_key_changed_at is not None

    @property
    def ready(self) -> bool:
        """Everything is there to transfer: enabled, a pinned key that did not change, a way to sign in."""
        secret = self.ssh_private_key_encrypted if self.auth == AuthMethod.KEY else self.password_encrypted
        return self.enabled and bool(self.host_key) and not self.transfers_stopped and bool(secret)


class BankConnectionChange(models.Model):
    """Who changed the bank connection, when, each changed field before and after. A secret's value
    is never recorded: its fields read "set" or "changed"."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="bank_connection_changes")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    actor_email = models.EmailField(blank=True)
    what = models.CharField(max_length=200, blank=True)  # a change that is not a field, e.g. "host key changed"
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"bank connection of biller {self.biller_id} changed by {self.actor_email or 'Remit'}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"


class FileDelivery(models.Model):
    """One NACHA file's way to the bank. Exactly once: a worker claims the row (a conditional UPDATE
    with a lease) before it touches the server, and records each step — the bytes it is about to
    upload (size, SHA-256), the temporary ``.part`` complete, the rename done — so a retry after a
    crash finishes what was started instead of uploading again (see ``delivery.py``)."""

    file = models.OneToOneField("ach.AchFile", on_delete=models.PROTECT, related_name="delivery")
    biller = models.ForeignKey("billers.Biller", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    remote_name = models.CharField(max_length=200, blank=True)
    encrypted = models.BooleanField(default=False)
    payload_size = models.PositiveIntegerField(null=True, blank=True)
    payload_sha256 = models.CharField(max_length=64, blank=True)
    part_complete = models.BooleanField(default=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_note = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    failure_notice_at = models.DateTimeField(null=True, blank=True)  # the owner was told it failed (once)
    late_notice_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="bank_delivery_due")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False), name="bank_delivered_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"delivery of file {self.file_id}: {self.status}"


class PickupStatus(models.TextChoices):
    IMPORTED = "imported", "Imported"
    DUPLICATE = "duplicate", "Imported before"
    UNREADABLE = "unreadable", "Unreadable"


class PickedUpFile(models.Model):
    """A file Remit found in the bank's folder, kept with its SHA-256 (of the bytes as the bank sent
    them) and its content, encrypted (return files hold account numbers). Unique per biller and
    SHA-256: the same content is never imported twice, whatever its name. An unreadable file stays on
    the bank's side and is shown with its reason; its owner is emailed once."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="+")
    remote_name = models.CharField(max_length=255)
    remote_size = models.PositiveBigIntegerField(default=0)
    remote_mtime = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    content_encrypted = models.TextField(editable=False)
    decrypted = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=PickupStatus.choices)
    reason = models.TextField(blank=True)
    inbound = models.ForeignKey("ach.InboundFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    returned = models.PositiveIntegerField(default=0)
    corrected = models.PositiveIntegerField(default=0)
    picked_up_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-picked_up_at", "-pk"]
        constraints = [models.UniqueConstraint("biller", "sha256", name="bank_pickup_once_per_content")]
        indexes = [models.Index(fields=["biller", "remote_name"], name="bank_pickup_name")]

    def __str__(self) -> str:
        return f"{self.remote_name} ({self.status})"
