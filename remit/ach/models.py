"""ACH origination: a biller's settings for its bank, the NACHA files Remit wrote, each entry in them
(one per payment), and what came back from the bank: each imported file, its returns, notifications
of change, dishonored and contested returns, returned offsets, and the entries that were not ours.

A payment is in at most one recorded file (``AchEntry.payment`` is unique) and becomes *sent* in
the transaction that records the file. Trace numbers are unique per biller for ever (a counter on
the biller's settings, taken under a row lock).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class AchSettings(models.Model):
    """What the biller's bank (the ODFI) gave it to originate ACH debits. Owner-only in the console."""

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, related_name="ach_settings")
    odfi_routing = models.CharField("bank routing number (immediate destination)", max_length=9)
    immediate_origin = models.CharField(max_length=10, help_text="10 characters, as the bank says: often 1 + EIN.")
    # The bank asked for a routing number as the immediate origin (moov-io/ach's RequireABAOrigin):
    # then ``immediate_origin`` is " " + 9 digits whose check digit is right.
    origin_is_routing = models.BooleanField("immediate origin is a routing number", default=False)
    destination_name = models.CharField("bank name (immediate destination name)", max_length=23)
    origin_name = models.CharField("immediate origin name", max_length=23)
    company_name = models.CharField(max_length=16, help_text="What customers see on their bank statement.")
    company_id = models.CharField("company identification", max_length=10, help_text="10 characters, e.g. 1 + EIN.")
    entry_description = models.CharField("company entry description", max_length=10, default="INVOICE")
    balanced = models.BooleanField("balanced files", default=False)
    settlement_routing = models.CharField(max_length=9, blank=True)
    settlement_account_encrypted = models.TextField(blank=True, editable=False)
    settlement_account_last4 = models.CharField(max_length=4, blank=True, editable=False)
    settlement_account_type = models.CharField(max_length=10, default="checking")
    settlement_days = models.PositiveSmallIntegerField(
        default=2, help_text="Banking days after the effective date without a return: the payment is settled."
    )
    next_trace = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "ACH settings"
        verbose_name_plural = "ACH settings"
        constraints = [
            models.CheckConstraint(condition=Q(odfi_routing__regex=r"^[0-9]{9}$"), name="ach_odfi_routing_digits"),
            models.CheckConstraint(
                condition=Q(balanced=False) | ~Q(settlement_account_encrypted=""), name="ach_balanced_needs_account"
            ),
        ]

    def __str__(self) -> str:
        return f"ACH settings of biller {self.biller_id}"


class AchSettingsChange(models.Model):
    """Who changed the ACH settings, when, and each changed field's value before and after (``before``
    is empty when the settings were first saved). The settlement account number is stored encrypted
    and never copied here: its side reads ``••••`` and the last four digits only."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="ach_settings_changes")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    actor_email = models.EmailField(blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"ACH settings of biller {self.biller_id} changed by {self.actor_email or 'Remit'}"

    @property
    def is_first(self) -> bool:
        """The settings were saved for the first time: every field is new and none has a before."""
        return "odfi_routing" in self.after and "odfi_routing" not in self.before


class AchFile(models.Model):
    """One NACHA file. Its bytes are in the shared file store (``storages["files"]``, the database or
    S3: REMIT_FILE_STORE) at ``ach/outbound/<filename>`` — every web and worker instance reads them
    there, checked against ``sha256`` (``ach.stored``). With the database store they are written in
    the export's own transaction; with S3 they wait under ``ach/partial/`` until it commits
    (``ach.export``). A local folder, if any, holds copies only (REMIT_ACH_OUTBOUND_DIR,
    ``remit files export``)."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.PROTECT, related_name="ach_files")
    filename = models.CharField(max_length=120, unique=True)
    effective_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    created_on = models.DateField(help_text="The creation date in the file header (the biller's time zone).")
    file_id_modifier = models.CharField(max_length=1, help_text="A–Z then 0–9: distinct per file that day.")
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    entry_count = models.PositiveIntegerField()
    batch_count = models.PositiveSmallIntegerField()
    total_debit_cents = models.BigIntegerField()
    total_credit_cents = models.BigIntegerField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint("biller", "created_on", "file_id_modifier", name="ach_file_modifier_once_per_day"),
        ]

    def __str__(self) -> str:
        return self.filename


class AchEntry(models.Model):
    """A payment's entry in a file: the trace number the bank will quote back."""

    file = models.ForeignKey(AchFile, on_delete=models.PROTECT, related_name="entries")
    payment = models.OneToOneField("payments.Payment", on_delete=models.PROTECT, related_name="ach_entry")
    biller = models.ForeignKey("billers.Biller", on_delete=models.PROTECT, related_name="+")
    batch_number = models.PositiveIntegerField()
    sec_code = models.CharField(max_length=3)
    trace_number = models.CharField(max_length=15)
    amount_cents = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint("biller", "trace_number", name="ach_trace_once_per_biller")]
        indexes = [models.Index(fields=["trace_number"], name="ach_entry_trace")]


class ValidationEntry(models.Model):
    """An account validation's entry in a file (``payments.AccountValidation``): a micro-entry credit,
    its offsetting debit, or a prenote. Its trace comes from the same counter as the payments' (one
    sequence per biller), so a return or notification of change that quotes it is matched to it."""

    class Kind(models.TextChoices):
        CREDIT = "credit", "Micro-entry credit"
        DEBIT = "debit", "Micro-entry offsetting debit"
        PRENOTE = "prenote", "Prenote"

    file = models.ForeignKey(AchFile, on_delete=models.PROTECT, related_name="validation_entries")
    validation = models.ForeignKey("payments.AccountValidation", on_delete=models.PROTECT, related_name="entries")
    biller = models.ForeignKey("billers.Biller", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    batch_number = models.PositiveIntegerField()
    sec_code = models.CharField(max_length=3)
    transaction_code = models.PositiveSmallIntegerField()
    trace_number = models.CharField(max_length=15)
    amount_cents = models.BigIntegerField()
    # What the bank answered, if it did: a return's R code or a notification of change's C code.
    answer_code = models.CharField(max_length=3, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("biller", "trace_number", name="validation_trace_once_per_biller"),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0, amount_cents__lte=198), name="validation_entry_small"
            ),
        ]
        indexes = [models.Index(fields=["trace_number"], name="validation_entry_trace")]


class InboundFile(models.Model):
    """A return/NOC file the biller's bank sent back. The SHA-256 of its records (``reader.AchFile.
    records_sha256``: framing aside) is unique: importing it twice changes nothing the second time.
    ``biller`` is who imported it (None: the command line without ``--biller``, for every biller);
    its import's page shows what it did, counted here and listed in the rows that point to it. Its
    bytes are in the shared file store at ``stored_as`` (``ach/inbound/<sha256>-<filename>``, written
    in the import's transaction; blank for files imported before Remit kept them)."""

    sha256 = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=200)
    stored_as = models.CharField("key in the file store", max_length=300, blank=True)
    biller = models.ForeignKey(
        "billers.Biller", on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_files"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    return_count = models.PositiveIntegerField(default=0)
    correction_count = models.PositiveIntegerField(default=0)
    dishonor_count = models.PositiveIntegerField(default=0, help_text="Dishonored and contested returns.")
    offset_return_count = models.PositiveIntegerField(default=0)
    not_ours_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0, help_text="Entries an earlier file already answered.")

    class Meta:
        ordering = ["-imported_at", "-pk"]
        indexes = [models.Index(fields=["biller", "-imported_at"], name="inbound_biller_recent")]


class AchReturn(models.Model):
    entry = models.OneToOneField(AchEntry, on_delete=models.PROTECT, related_name="ach_return")
    inbound = models.ForeignKey(InboundFile, on_delete=models.PROTECT, related_name="returns")
    code = models.CharField(max_length=3)
    meaning = models.CharField(max_length=200)
    account_blocked = models.BooleanField(default=False)
    # The return entry's own trace number (not the original entry's, which is ``entry.trace_number``):
    # a dishonored return names the return it refuses by it. Blank for returns imported before.
    return_trace = models.CharField(max_length=15, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]


class AchCorrection(models.Model):
    entry = models.ForeignKey(AchEntry, on_delete=models.PROTECT, related_name="corrections")
    inbound = models.ForeignKey(InboundFile, on_delete=models.PROTECT, related_name="corrections")
    code = models.CharField(max_length=3)
    # What changed, with any account number masked (the corrected data itself is never stored).
    summary = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint("entry", "code", name="ach_correction_once_per_code")]


class AchDishonor(models.Model):
    """A dishonored return (R61, R67–R70: the biller's bank refused the customer's bank's return of
    one of Remit's entries) or a contested one (R71–R77: the customer's bank stands by its return),
    with what Remit did about it (``outcome``, told in words in ``summary``). Once per entry and code."""

    class Kind(models.TextChoices):
        DISHONORED = "dishonored", "Dishonored return"
        CONTESTED = "contested", "Contested dishonored return"

    class Outcome(models.TextChoices):
        RESTORED = "restored", "Payment restored"
        NOT_RESTORED = "not_restored", "Not restored"
        RETURNED = "returned", "Returned again"
        UNCHANGED = "unchanged", "Nothing changed"

    entry = models.ForeignKey(AchEntry, on_delete=models.PROTECT, related_name="dishonors")
    inbound = models.ForeignKey(InboundFile, on_delete=models.PROTECT, related_name="dishonors")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    code = models.CharField(max_length=3)
    meaning = models.CharField(max_length=200)
    return_code = models.CharField(max_length=3, blank=True, help_text="The return it is about, e.g. R01.")
    return_trace = models.CharField(max_length=15, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    summary = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint("entry", "code", name="ach_dishonor_once_per_code")]


class AchOffsetReturn(models.Model):
    """The bank returned the offset entry of a balanced file: the credit to the biller's own
    settlement account that balanced the file's debits. Recorded against the file it was in and
    shown to the biller (the money did not reach their account); once per file and trace."""

    file = models.ForeignKey(AchFile, on_delete=models.PROTECT, related_name="offset_returns")
    inbound = models.ForeignKey(InboundFile, on_delete=models.PROTECT, related_name="offset_returns")
    trace_number = models.CharField(max_length=15, help_text="The offset entry's trace number.")
    code = models.CharField(max_length=3)
    meaning = models.CharField(max_length=200)
    amount_cents = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint("file", "trace_number", name="ach_offset_return_once")]


class ForeignEntry(models.Model):
    """An entry of an imported file that is not the biller's ("not ours"): another originator's
    return, a forward entry, a batch of a kind Remit does not send. Nothing was changed for it; it is
    kept so the import's page can list it with enough to identify it at the bank."""

    inbound = models.ForeignKey(InboundFile, on_delete=models.CASCADE, related_name="foreign_entries")
    line = models.PositiveIntegerField()
    batch_number = models.PositiveIntegerField()
    sec_code = models.CharField(max_length=3)
    company_name = models.CharField(max_length=16, blank=True)
    company_id = models.CharField(max_length=10, blank=True)
    transaction_code = models.PositiveSmallIntegerField()
    trace_number = models.CharField(max_length=15)
    original_trace = models.CharField(max_length=15, blank=True)
    code = models.CharField(max_length=3, blank=True, help_text="Its return or change code, if any.")
    amount_cents = models.BigIntegerField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["line"]


class ReturnRateCrossing(models.Model):
    """A return rate reached a level (50%, 80% or 100%) of its NACHA threshold (``return_rates.py``)
    on ``crossed_on``; ``cleared_on`` is the day it was seen below that level again. At most one open
    crossing per biller, scope, category and level (a unique constraint): a check run twice finds it
    open and emails nothing; a rate that falls below and reaches the level again opens a new one,
    and the owners are emailed again. The rows are the history the annual risk review lists."""

    class Category(models.TextChoices):
        UNAUTHORIZED = "unauthorized", "Unauthorized"
        ADMINISTRATIVE = "administrative", "Administrative"
        OVERALL = "overall", "Overall"

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="return_rate_crossings")
    scope = models.CharField(max_length=3, help_text="A SEC code (WEB, CCD), or “all”.")
    category = models.CharField(max_length=14, choices=Category.choices)
    level = models.PositiveSmallIntegerField(help_text="Percent of the threshold: 50, 80 or 100.")
    crossed_on = models.DateField()
    cleared_on = models.DateField(null=True, blank=True)
    entries = models.PositiveIntegerField(help_text="Debit entries in the window when it was crossed.")
    returns = models.PositiveIntegerField(help_text="Returns of the category in that window.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-crossed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                "biller",
                "scope",
                "category",
                "level",
                condition=Q(cleared_on__isnull=True),
                name="ach_crossing_open_once",
            ),
            models.CheckConstraint(condition=Q(level__in=[50, 80, 100]), name="ach_crossing_level"),
        ]
        indexes = [models.Index(fields=["biller", "crossed_on"], name="ach_crossing_biller_day")]

    def __str__(self) -> str:
        return f"{self.category} return rate of biller {self.biller_id} at {self.level}% ({self.scope})"


class RetryPolicy(models.Model):
    """The biller's policy for payments returned for insufficient or uncollected funds (R01, R09):
    off, or retry once or twice, after a number of banking days or on the next 1st/15th
    (``retry_rules``). Owner-only in the console; each change is a ``RetryPolicyChange``."""

    class Timing(models.TextChoices):
        AFTER_DAYS = "days", "After a number of banking days"
        SEMIMONTHLY = "semimonthly", "On the next 1st or 15th"

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, related_name="retry_policy")
    retries = models.PositiveSmallIntegerField(default=0, help_text="0: off; NACHA allows at most 2.")
    timing = models.CharField(max_length=12, choices=Timing.choices, default=Timing.AFTER_DAYS)
    days = models.PositiveSmallIntegerField(default=3, help_text="Banking days after the return's import (1–30).")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(retries__lte=2), name="retry_policy_within_nacha"),
            models.CheckConstraint(condition=Q(days__gte=1, days__lte=30), name="retry_policy_days_range"),
        ]

    def __str__(self) -> str:
        return f"Retry policy of biller {self.biller_id}"


class RetryPolicyChange(models.Model):
    """Who changed the retry policy, when, and each changed field before and after (``before`` is
    empty when the policy was first saved)."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="retry_policy_changes")
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    actor_email = models.EmailField(blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
