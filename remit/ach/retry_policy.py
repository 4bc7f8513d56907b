"""The biller's retry policy for payments returned for insufficient or uncollected funds: saved by an
owner only, checked against NACHA's limits (``retry_rules.policy_problems``: nothing changes when one
is broken), each change recorded (``RetryPolicyChange``: who, when, each changed field before/after)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from remit.ach import retry_rules
from remit.ach.models import RetryPolicy, RetryPolicyChange
from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.lib.errors import ActionError
from remit.users.models import User

FIELDS = ("retries", "timing", "days")


class RetryPolicyError(ActionError):
    pass


def policy_of(biller_id: int) -> retry_rules.Policy:
    """The biller's policy (off when none was saved)."""
    saved = RetryPolicy.objects.filter(biller_id=biller_id).first()
    return as_rules(saved)


def as_rules(saved: RetryPolicy | None) -> retry_rules.Policy:
    if saved is None:
        return retry_rules.Policy()
    return retry_rules.Policy(retries=saved.retries, timing=saved.timing, days=saved.days)


@transaction.atomic
def retry_policy_save(
    *, biller: Biller, actor: User, retries: int | None, timing: str, days: int | None
) -> RetryPolicy:
    """Save the policy; refuse, changing nothing, anything beyond NACHA's limits. With retries off the
    timing is kept as it was given (it is used when retries are turned on again)."""
    require_owner(biller, actor, message="Only an owner can change the retry policy.")
    if timing == retry_rules.SEMIMONTHLY and days is None:
        days = RetryPolicy._meta.get_field("days").get_default()
    problems = retry_rules.policy_problems(retries=retries, timing=timing, days=days)
    if problems:
        raise RetryPolicyError(errors={name: [message] for name, message in problems.items()})
    assert retries is not None
    assert days is not None
    current = RetryPolicy.objects.select_for_update().filter(biller=biller).first()
    before = _snapshot(current)
    policy = current or RetryPolicy(biller=biller)
    policy.retries, policy.timing, policy.days = retries, timing, days
    after = _snapshot(policy)
    changed = [name for name in FIELDS if before.get(name) != after[name]]
    if not changed:
        return policy
    policy.updated_at = timezone.now()
    policy.save()
    RetryPolicyChange.objects.create(
        biller=biller,
        actor=actor,
        actor_email=actor.email,
        before={name: before[name] for name in changed if name in before},
        after={name: after[name] for name in changed},
    )
    return policy


def _snapshot(policy: RetryPolicy | None) -> dict[str, Any]:
    if policy is None:
        return {}
    return {name: getattr(policy, name) for name in FIELDS}
