"""Payment reminders and the late fee: the biller's schedule (``ReminderStep``: any number of steps,
each a number of days before, on or after the due date with its own subject and message), its late
fee policy (``LateFeePolicy``: none until an owner sets one, and no fee is ever added before an owner
confirmed it), what was sent (``ReminderSent``: one row per invoice and step, unique — what makes
"never twice" hold for two workers, a crash and a re-run), the fees added (``LateFee``: one per
invoice), pauses per customer or invoice (``ReminderPause``), and the history of every change
(``ReminderChange``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from remit.reminders.rules import MAX_GRACE_DAYS, MAX_OFFSET_DAYS


class ReminderStep(models.Model):
    """One reminder of a biller's schedule: ``offset_days`` from the due date (negative: before it,
    0: on the day, positive: after it). A biller's steps are its schedule; none: no reminders."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="reminder_steps")
    offset_days = models.SmallIntegerField("days from the due date")
    subject = models.CharField(max_length=150)
    message = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["biller", "offset_days"]
        constraints = [
            models.UniqueConstraint("biller", "offset_days", name="reminder_step_offset_unique"),
            models.CheckConstraint(
                condition=Q(offset_days__gte=-MAX_OFFSET_DAYS, offset_days__lte=MAX_OFFSET_DAYS),
                name="reminder_step_offset_within_a_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.describe()}: {self.subject}"

    def describe(self) -> str:
        return describe_offset(self.offset_days)


def describe_offset(days: int) -> str:
    if days == 0:
        return "On the due date"
    unit = "day" if abs(days) == 1 else "days"
    return f"{abs(days)} {unit} {'before' if days < 0 else 'after'} the due date"


class LateFeeKind(models.TextChoices):
    NONE = "none", "No late fee"
    FIXED = "fixed", "A fixed amount"
    PERCENT = "percent", "A percentage of the balance left"


class LateFeePolicy(models.Model):
    """The biller's late fee: added once per invoice as a line, when the invoice is past due by more
    than ``grace_days`` — and only while ``confirmed_at`` is set: an owner confirms the policy once,
    and any change of it needs a new confirmation."""

    biller = models.OneToOneField("billers.Biller", on_delete=models.CASCADE, related_name="late_fee_policy")
    kind = models.CharField(max_length=8, choices=LateFeeKind.choices, default=LateFeeKind.NONE)
    fixed_cents = models.BigIntegerField(default=0)
    percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    grace_days = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    confirmed_by_email = models.EmailField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "late fee policies"
        constraints = [
            models.CheckConstraint(condition=Q(fixed_cents__gte=0), name="late_fee_fixed_not_negative"),
            models.CheckConstraint(condition=Q(percent__gte=0, percent__lte=100), name="late_fee_percent_range"),
            models.CheckConstraint(condition=Q(grace_days__lte=MAX_GRACE_DAYS), name="late_fee_grace_within_a_year"),
        ]

    def __str__(self) -> str:
        return f"Late fee policy of biller {self.biller_id}"

    @property
    def is_on(self) -> bool:
        return self.kind != LateFeeKind.NONE

    @property
    def is_active(self) -> bool:
        """Fees are added: a policy is set and an owner confirmed it."""
        return self.is_on and self.confirmed_at is not None


class LateFee(models.Model):
    """The late fee of one invoice (unique: at most one, ever). ``cents`` 0 with a ``note``: the fee
    was not added (it would have been above the invoice's total, or the invoice could not be edited)."""

    invoice = models.OneToOneField("invoices.Invoice", on_delete=models.CASCADE, related_name="late_fee")
    cents = models.BigIntegerField()
    note = models.CharField(max_length=300, blank=True)
    policy = models.JSONField(default=dict)  # the policy as it was applied
    added_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(cents__gte=0), name="late_fee_not_negative")]


class ReminderSent(models.Model):
    """One reminder sent for one invoice at one step of the schedule (by its offset, so a step edited
    or removed and added again never sends twice). What it said is kept: the amounts of that day."""

    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.CASCADE, related_name="reminders_sent")
    offset_days = models.SmallIntegerField()
    subject = models.CharField(max_length=300)
    recipients = models.JSONField(default=list)
    balance_cents = models.BigIntegerField()
    scheduled_cents = models.BigIntegerField(default=0)
    left_cents = models.BigIntegerField()
    sent_on = models.DateField()  # the biller's date
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint("invoice", "offset_days", name="reminder_sent_once_per_invoice_step"),
        ]


class ReminderPause(models.Model):
    """Reminders (and the late fee) held for one customer or one invoice, with the reason; active
    until lifted (who and when kept on the row). At most one active pause per customer or invoice."""

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_pauses"
    )
    invoice = models.ForeignKey(
        "invoices.Invoice", on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_pauses"
    )
    reason = models.CharField(max_length=300)
    paused_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    paused_by_email = models.EmailField(blank=True)
    paused_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    lifted_by_email = models.EmailField(blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-paused_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=True, invoice__isnull=False)
                | Q(customer__isnull=False, invoice__isnull=True),
                name="reminder_pause_customer_or_invoice",
            ),
            models.UniqueConstraint(
                "customer", condition=Q(lifted_at__isnull=True, customer__isnull=False), name="reminder_pause_customer"
            ),
            models.UniqueConstraint(
                "invoice", condition=Q(lifted_at__isnull=True, invoice__isnull=False), name="reminder_pause_invoice"
            ),
        ]

    def __str__(self) -> str:
        return f"Reminders paused: {self.reason}"


class ReminderChange(models.Model):
    """Who changed the reminder schedule or the late fee policy, when, and what before/after."""

    class Kind(models.TextChoices):
        STEP_ADDED = "step_added", "Reminder added"
        STEP_CHANGED = "step_changed", "Reminder changed"
        STEP_REMOVED = "step_removed", "Reminder removed"
        LATE_FEE_CHANGED = "late_fee_changed", "Late fee policy changed"
        LATE_FEE_CONFIRMED = "late_fee_confirmed", "Late fee policy confirmed"

    biller = models.ForeignKey("billers.Biller", on_delete=models.CASCADE, related_name="reminder_changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey("users.User", on_delete=models.SET_NULL, null=True, related_name="+")
    actor_email = models.EmailField(blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
