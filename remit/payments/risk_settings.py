"""The biller's risk rules, saved: ``risk_settings_of`` (every rule on, at its default, until an owner
first saves them) and ``risk_rules_save`` (owner only; each change audited with its values before and
after in ``PaymentSettingsChange``, beside the payment switches' changes)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from django.db import transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.ledger.errors import PaymentError
from remit.payments.models import PaymentRiskRules, PaymentSettingsChange
from remit.payments.risk_rules import RiskSettings
from remit.users.models import User

FIELDS = tuple(f.name for f in fields(RiskSettings))
# (field, label, lowest, highest) of each rule's parameter that is a count.
RANGES = {
    "account_change_days": ("The days before an Auto Pay debit", 1, 60),
    "unusual_amount_times": ("The times the usual amount", 2, 100),
    "many_accounts_count": ("The accounts added in a day", 2, 50),
    "shared_account_customers": ("The customers sharing an account", 2, 50),
}


class RiskRulesError(PaymentError):
    pass


def risk_settings_from(row: PaymentRiskRules | None) -> RiskSettings:
    if row is None:
        return RiskSettings()
    return RiskSettings(**{name: getattr(row, name) for name in FIELDS})


def risk_settings_of(biller: Biller | int) -> RiskSettings:
    """The rules in force for ``biller`` (one small read)."""
    biller_id = biller if isinstance(biller, int) else biller.pk
    return risk_settings_from(PaymentRiskRules.objects.filter(biller_id=biller_id).first())


def _check(rules: RiskSettings) -> None:
    errors: dict[str, list[str]] = {}
    if rules.new_account_above_cents <= 0:
        errors["new_account_above_cents"] = ["The amount for new accounts must be more than $0.00."]
    for name, (label, low, high) in RANGES.items():
        value = getattr(rules, name)
        if not low <= value <= high:
            errors[name] = [f"{label} must be between {low} and {high}."]
    if errors:
        raise RiskRulesError(errors=errors)


@transaction.atomic
def risk_rules_save(*, biller: Biller, actor: User, rules: RiskSettings) -> PaymentRiskRules:
    """Save the biller's risk rules (Settings → Payments → Risk rules). They apply from the next ACH
    file on; payments already held stay held until decided."""
    require_owner(biller, actor, message="Only an owner can change the risk rules.")
    _check(rules)
    row = PaymentRiskRules.objects.select_for_update().filter(biller=biller).first()
    before: dict[str, Any] = asdict(risk_settings_from(row))
    row = row or PaymentRiskRules(biller=biller)
    for name, value in asdict(rules).items():
        setattr(row, name, value)
    row.updated_at = timezone.now()
    row.save()
    after = asdict(rules)
    changed = [name for name in FIELDS if before[name] != after[name]]
    if changed:
        PaymentSettingsChange.objects.create(
            biller=biller,
            actor=actor,
            actor_email=actor.email,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return row
