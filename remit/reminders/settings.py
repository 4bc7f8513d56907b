"""Every change to a biller's reminders: the schedule's steps, the late fee policy and its one
confirmation, and pausing per customer or invoice. Owners change the schedule and the policy (staff
may look); any member may pause or lift a pause. Each change is a ``ReminderChange`` (or, for a
pause, the ``ReminderPause`` row itself: who paused and why, who lifted it and when)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.lib.errors import ActionError
from remit.reminders import rules
from remit.reminders.models import LateFeeKind, LateFeePolicy, ReminderChange, ReminderPause, ReminderStep
from remit.users.models import User

OWNERS = "Only an owner can change the reminders and the late fee."


class ReminderError(ActionError):
    pass


def _record(biller: Biller, actor: User, kind: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    ReminderChange.objects.create(
        biller=biller, kind=kind, actor=actor, actor_email=actor.email, before=before, after=after
    )


def _step_data(step: ReminderStep) -> dict[str, Any]:
    return {"offset_days": step.offset_days, "subject": step.subject, "message": step.message}


def _check_step(biller: Biller, step: ReminderStep | None, offset_days: int | None, subject: str, message: str) -> None:
    others = ReminderStep.objects.filter(biller=biller)
    if step is not None:
        others = others.exclude(pk=step.pk)
    problems = rules.step_problems(
        offset_days=offset_days,
        subject=subject,
        message=message,
        other_offsets=list(others.values_list("offset_days", flat=True)),
    )
    if step is None and not problems and others.count() >= rules.MAX_STEPS:
        problems[""] = f"A schedule has at most {rules.MAX_STEPS} reminders."
    if problems:
        raise ReminderError(errors={name: [text] for name, text in problems.items()})


@transaction.atomic
def reminder_step_add(
    *, biller: Biller, actor: User, offset_days: int | None, subject: str, message: str
) -> ReminderStep:
    require_owner(biller, actor, message=OWNERS)
    Biller.objects.select_for_update().filter(pk=biller.pk).first()  # one schedule change at a time
    subject, message = " ".join(subject.split()), message.strip()
    _check_step(biller, None, offset_days, subject, message)
    assert offset_days is not None
    try:
        with transaction.atomic():
            step = ReminderStep.objects.create(biller=biller, offset_days=offset_days, subject=subject, message=message)
    except IntegrityError:
        raise ReminderError(
            "There is already a reminder on that day; change that one instead.", field="offset_days"
        ) from None
    _record(biller, actor, ReminderChange.Kind.STEP_ADDED, {}, _step_data(step))
    return step


@transaction.atomic
def reminder_step_change(
    *, step: ReminderStep, actor: User, offset_days: int | None, subject: str, message: str
) -> ReminderStep:
    require_owner(step.biller_id, actor, message=OWNERS)
    step = ReminderStep.objects.select_for_update().select_related("biller").get(pk=step.pk)
    subject, message = " ".join(subject.split()), message.strip()
    _check_step(step.biller, step, offset_days, subject, message)
    assert offset_days is not None
    before = _step_data(step)
    step.offset_days, step.subject, step.message, step.updated_at = offset_days, subject, message, timezone.now()
    after = _step_data(step)
    if before == after:
        return step
    try:
        with transaction.atomic():
            step.save()
    except IntegrityError:
        raise ReminderError(
            "There is already a reminder on that day; change that one instead.", field="offset_days"
        ) from None
    _record(step.biller, actor, ReminderChange.Kind.STEP_CHANGED, before, after)
    return step


@transaction.atomic
def reminder_step_remove(*, step: ReminderStep, actor: User) -> None:
    require_owner(step.biller_id, actor, message=OWNERS)
    step = ReminderStep.objects.select_for_update().select_related("biller").get(pk=step.pk)
    _record(step.biller, actor, ReminderChange.Kind.STEP_REMOVED, _step_data(step), {})
    step.delete()


def _policy_data(policy: LateFeePolicy | None) -> dict[str, Any]:
    if policy is None:
        return {"kind": LateFeeKind.NONE.value}
    return {
        "kind": policy.kind,
        "fixed_cents": policy.fixed_cents,
        "percent": str(policy.percent.normalize()) if policy.percent else "0",
        "grace_days": policy.grace_days,
    }


@transaction.atomic
def late_fee_policy_save(
    *, biller: Biller, actor: User, kind: str, fixed_cents: int | None, percent: Decimal | None, grace_days: int | None
) -> LateFeePolicy:
    """Save the policy. Any change of it needs a new confirmation before a fee is added again."""
    require_owner(biller, actor, message=OWNERS)
    problems = rules.policy_problems(kind=kind, fixed_cents=fixed_cents, percent=percent, grace_days=grace_days)
    if problems:
        raise ReminderError(errors={name: [text] for name, text in problems.items()})
    current = LateFeePolicy.objects.select_for_update().filter(biller=biller).first()
    policy = current or LateFeePolicy(biller=biller)
    before = _policy_data(current)
    policy.kind = kind
    policy.fixed_cents = (fixed_cents or 0) if kind == LateFeeKind.FIXED else 0
    policy.percent = (percent or Decimal(0)) if kind == LateFeeKind.PERCENT else Decimal(0)
    policy.grace_days = grace_days or 0
    after = _policy_data(policy)
    if before == after and current is not None:
        return policy
    policy.confirmed_at, policy.confirmed_by, policy.confirmed_by_email = None, None, ""
    policy.updated_at = timezone.now()
    policy.save()
    _record(biller, actor, ReminderChange.Kind.LATE_FEE_CHANGED, before, after)
    return policy


@transaction.atomic
def late_fee_policy_confirm(*, biller: Biller, actor: User) -> LateFeePolicy:
    """The owner's one confirmation of the policy as it stands: from now on fees are added."""
    require_owner(biller, actor, message="Only an owner can confirm the late fee.")
    policy = LateFeePolicy.objects.select_for_update().filter(biller=biller).first()
    if policy is None or not policy.is_on:
        raise ReminderError("Set a late fee first; there is nothing to confirm.")
    if policy.confirmed_at is not None:
        return policy
    policy.confirmed_at, policy.confirmed_by, policy.confirmed_by_email = timezone.now(), actor, actor.email
    policy.save(update_fields=["confirmed_at", "confirmed_by", "confirmed_by_email"])
    _record(biller, actor, ReminderChange.Kind.LATE_FEE_CONFIRMED, {}, _policy_data(policy))
    return policy


def _pause_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ReminderError("Enter the reason for pausing the reminders.", field="reason")
    if len(reason) > 300:
        raise ReminderError("Keep the reason under 300 characters.", field="reason")
    return reason


@transaction.atomic
def reminders_pause(
    *, actor: User, reason: str, customer: Customer | None = None, invoice: Invoice | None = None
) -> ReminderPause:
    """Hold the reminders and the late fee of one customer or one invoice (exactly one is given)."""
    if (customer is None) == (invoice is None):
        raise ValueError("Pause either a customer or an invoice.")
    reason = _pause_reason(reason)
    biller_id = customer.biller_id if customer is not None else invoice.biller_id  # type: ignore[union-attr]
    pauses = ReminderPause.objects.filter(lifted_at__isnull=True)
    if pauses.filter(customer=customer, invoice=invoice).exists():
        raise ReminderError("The reminders are already paused.")
    try:
        with transaction.atomic():
            return ReminderPause.objects.create(
                biller_id=biller_id,
                customer=customer,
                invoice=invoice,
                reason=reason,
                paused_by=actor,
                paused_by_email=actor.email,
            )
    except IntegrityError:
        raise ReminderError("The reminders are already paused.") from None


@transaction.atomic
def reminders_resume(*, pause: ReminderPause, actor: User) -> ReminderPause:
    """Lift a pause (recorded on it: who and when). Reminders go again from the next round."""
    changed = ReminderPause.objects.filter(pk=pause.pk, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by=actor, lifted_by_email=actor.email
    )
    if changed != 1:
        raise ReminderError("This pause was already lifted.")
    pause.refresh_from_db()
    return pause


def active_pause(*, customer: Customer | None = None, invoice: Invoice | None = None) -> ReminderPause | None:
    return ReminderPause.objects.filter(lifted_at__isnull=True, customer=customer, invoice=invoice).first()
