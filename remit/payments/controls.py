"""The biller's payment controls: its switches (Accept ACH payments, Allow Auto Pay, what happens
above a limit), each customer's overrides and limits, and the one selector every write path asks
(``payment_rules``): may this customer pay by ACH, use Auto Pay, and up to how much.

Saving is owner-only and audited (``PaymentSettingsChange``: who, when, each value before and after,
and what became of the scheduled payments when something was switched off). Switching ACH or Auto Pay
off asks what to do with the payments already scheduled: keep them, or cancel them through
``payment_cancel`` (so the invoices' amounts are right and the history says why). A payment already
in a file sent to the bank can't be cancelled: asked to cancel while some are, the save is refused
and nothing changes (the owner may keep them, or switch off once they have settled).
Auto Pay's own part (its claims, and telling its customers) is Auto Pay's: ``hooks.autopay_disallowed``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.customers.models import Customer
from remit.ledger.errors import PaymentError
from remit.ledger.models import AutoPayClaim
from remit.ledger.scheduling import payment_cancel
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.lib.errors import NotPermitted
from remit.lib.money import format_cents
from remit.payments.hooks import autopay_disallowed
from remit.payments.models import (
    CustomerPaymentSettings,
    OverLimit,
    Payment,
    PaymentMethod,
    PaymentSettings,
    PaymentSettingsChange,
    PaymentStatus,
    Switch,
)
from remit.users.models import User

KEEP, CANCEL = "keep", "cancel"
# What counts towards a month's limit: every ACH debit that is or will be taken.
COUNTED = (PaymentStatus.SCHEDULED, PaymentStatus.SENT, PaymentStatus.SETTLED)
PER_PAYMENT, PER_MONTH = "over_payment_limit", "over_month_limit"


class PaymentControlsError(PaymentError):
    pass


@dataclass(frozen=True)
class PaymentRules:
    """What one customer may do, the biller's switches and the customer's overrides combined."""

    biller_name: str
    accept_ach: bool
    allow_autopay: bool  # never without ACH: Auto Pay pays by ACH
    max_per_payment_cents: int | None
    max_per_month_cents: int | None
    over_limit: str

    @property
    def ach_off_message(self) -> str:
        return f"{self.biller_name} doesn't accept ACH payments from this account at the moment."

    @property
    def autopay_off_message(self) -> str:
        return f"{self.biller_name} doesn't offer Auto Pay to this account at the moment."


@dataclass(frozen=True)
class Breach:
    """A payment above a limit: which (``code``) and the sentence saying so."""

    code: str
    message: str


def settings_of(biller: Biller | int) -> PaymentSettings:
    """The biller's switches (the defaults, unsaved, until an owner first saves them)."""
    biller_id = biller if isinstance(biller, int) else biller.pk
    return PaymentSettings.objects.filter(biller_id=biller_id).first() or PaymentSettings(biller_id=biller_id)


def customer_settings_of(customer: Customer) -> CustomerPaymentSettings:
    return CustomerPaymentSettings.objects.filter(customer=customer).first() or CustomerPaymentSettings(
        customer=customer
    )


def rules_from(biller_name: str, switches: PaymentSettings, own: CustomerPaymentSettings | None) -> PaymentRules:
    """The biller's switches with the customer's overrides (``own``, None: none saved) applied."""

    def pick(override: str, inherited: bool) -> bool:
        return inherited if override == Switch.INHERIT else override == Switch.ON

    ach = pick(own.accept_ach if own else Switch.INHERIT, switches.accept_ach)
    autopay = pick(own.allow_autopay if own else Switch.INHERIT, switches.allow_autopay)
    return PaymentRules(
        biller_name=biller_name,
        accept_ach=ach,
        allow_autopay=ach and autopay,
        max_per_payment_cents=own.max_per_payment_cents if own else None,
        max_per_month_cents=own.max_per_month_cents if own else None,
        over_limit=switches.over_limit,
    )


def autopay_allowed_sql(biller: Biller, *, customer_field: str = "pk") -> Q:
    """``rules_from(...).allow_autopay`` as a WHERE clause on rows whose ``customer_field`` is a
    customer of ``biller`` (for filtering thousands of rows in the database; a test proves the two
    agree): ACH accepted and Auto Pay allowed, each the customer's override or else the biller's."""
    switches = settings_of(biller)
    own = CustomerPaymentSettings.objects.filter(customer_id=OuterRef(customer_field))

    def switch(name: str, inherited: bool) -> Q:
        if inherited:
            return ~Q(Exists(own.filter(**{name: Switch.OFF})))
        return Q(Exists(own.filter(**{name: Switch.ON})))

    return switch("accept_ach", switches.accept_ach) & switch("allow_autopay", switches.allow_autopay)


def payment_rules(customer: Customer) -> PaymentRules:
    """May this customer pay by ACH, use Auto Pay, and what are its limits. Two small reads."""
    return payment_rules_many([customer.pk])[customer.pk]


def payment_rules_many(customer_ids: Iterable[int]) -> dict[int, PaymentRules]:
    """``payment_rules`` for many customers at once (Auto Pay's batches, a biller-wide switch): two
    reads per 500 customers, and one for the billers' switches."""
    ids = sorted(set(customer_ids))
    rows: list[tuple[int, int, str]] = []
    own: dict[int, CustomerPaymentSettings] = {}
    for chunk in batches(ids, IDS_PER_STATEMENT):
        rows += Customer.objects.filter(pk__in=chunk).values_list("pk", "biller_id", "biller__name")
        own.update((s.customer_id, s) for s in CustomerPaymentSettings.objects.filter(customer_id__in=chunk))
    billers = {biller_id for _, biller_id, _ in rows}
    switches = {s.biller_id: s for s in PaymentSettings.objects.filter(biller_id__in=billers)}
    return {
        pk: rules_from(name, switches.get(biller_id) or PaymentSettings(biller_id=biller_id), own.get(pk))
        for pk, biller_id, name in rows
    }


def month_total_cents(customer_id: int, day: date) -> int:
    """The customer's ACH debits (scheduled, sent or settled) whose Pay On is in ``day``'s month.
    Pay On is a business date, in the biller's time zone already."""
    first = day.replace(day=1)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    total = Payment.objects.filter(
        customer_id=customer_id, method=PaymentMethod.ACH, status__in=COUNTED, pay_on__range=(first, last)
    ).aggregate(total=Sum("amount_cents"))["total"]
    return int(total or 0)


def _end(name: str) -> str:
    """The name ending a sentence: "Acme Supply Co." takes no second full stop."""
    return name if name.endswith(".") else f"{name}."


def limit_breach(
    rules: PaymentRules, *, customer_id: int, amount_cents: int, pay_on: date, planned_cents: int = 0
) -> Breach | None:
    """Whether a new payment of ``amount_cents`` on ``pay_on`` would be above one of the limits.
    ``planned_cents``: payments of the same month planned with it but not yet written (Auto Pay's batch)."""
    limit = rules.max_per_payment_cents
    if limit is not None and amount_cents > limit:
        return Breach(
            PER_PAYMENT,
            f"This payment of {format_cents(amount_cents)} is above the {format_cents(limit)} limit per payment "
            f"set by {_end(rules.biller_name)}",
        )
    limit = rules.max_per_month_cents
    if limit is not None:
        total = month_total_cents(customer_id, pay_on) + planned_cents + amount_cents
        if total > limit:
            return Breach(
                PER_MONTH,
                f"This payment of {format_cents(amount_cents)} would bring the payments of {pay_on:%B %Y} to "
                f"{format_cents(total)}, above the {format_cents(limit)} limit per month "
                f"set by {_end(rules.biller_name)}",
            )
    return None


def check_new_payment(customer: Customer, *, amount_cents: int, pay_on: date) -> Breach | None:
    """The write path's question before scheduling a payment by hand: refused (``PaymentError``) when
    ACH is off or a limit is passed and the biller refuses; the breach to hold it for, when it holds."""
    rules = payment_rules(customer)
    if not rules.accept_ach:
        raise PaymentControlsError(rules.ach_off_message)
    breach = limit_breach(rules, customer_id=customer.pk, amount_cents=amount_cents, pay_on=pay_on)
    if breach is not None and rules.over_limit == OverLimit.REFUSE:
        raise PaymentControlsError(breach.message, field="total")
    return breach


# Saving the switches.


def _snapshot(instance: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


def _record(
    *,
    biller: Biller,
    customer: Customer | None,
    actor: User | None,
    api_key_id: int | None = None,
    before: dict[str, Any],
    after: dict[str, Any],
    scheduled: str,
    cancelled: list[int],
) -> None:
    changed = [name for name in after if before.get(name) != after[name]]
    if not changed:
        return
    PaymentSettingsChange.objects.create(
        biller=biller,
        customer=customer,
        actor=actor,
        actor_email=actor.email if actor else "",
        api_key_id=api_key_id,
        before={name: before.get(name) for name in changed},
        after={name: after[name] for name in changed},
        scheduled=scheduled,
        cancelled_payment_ids=cancelled,
    )


BILLER_FIELDS = ("accept_ach", "allow_autopay", "over_limit")
CUSTOMER_FIELDS = ("accept_ach", "allow_autopay", "max_per_payment_cents", "max_per_month_cents")


@transaction.atomic
def payment_settings_save(
    *, biller: Biller, actor: User, accept_ach: bool, allow_autopay: bool, over_limit: str, scheduled: str = KEEP
) -> PaymentSettings:
    """Save the biller's switches (Settings → Payments). ``scheduled``: what becomes of the payments
    already scheduled by those customers who lose ACH (all of theirs) or Auto Pay (Auto Pay's) —
    ``keep`` or ``cancel``."""
    require_owner(biller, actor, message="Only an owner can change the payment settings.")
    if over_limit not in OverLimit.values:
        raise PaymentControlsError("Choose what happens to a payment above a limit.", field="over_limit")
    _check_scheduled(scheduled)
    current = PaymentSettings.objects.select_for_update().filter(biller=biller).first()
    switches = current or PaymentSettings(biller=biller)
    customer_ids = list(Customer.objects.filter(biller=biller).values_list("pk", flat=True))
    before_rules = payment_rules_many(customer_ids)
    before = _snapshot(switches, BILLER_FIELDS) if current else _snapshot(PaymentSettings(), BILLER_FIELDS)
    switches.accept_ach, switches.allow_autopay, switches.over_limit = accept_ach, allow_autopay, over_limit
    switches.updated_at = timezone.now()
    switches.save()
    cancelled, lost = _follow(before_rules, payment_rules_many(customer_ids), scheduled=scheduled, actor=actor)
    _record(
        biller=biller,
        customer=None,
        actor=actor,
        before=before,
        after=_snapshot(switches, BILLER_FIELDS),
        scheduled=_scheduled_word(scheduled) if lost else "",
        cancelled=cancelled,
    )
    return switches


@transaction.atomic
def customer_payment_settings_save(
    *,
    customer: Customer,
    actor: User | None,
    api_key_id: int | None = None,
    accept_ach: str,
    allow_autopay: str,
    max_per_payment_cents: int | None,
    max_per_month_cents: int | None,
    scheduled: str = KEEP,
) -> CustomerPaymentSettings:
    """Save one customer's overrides and limits: an owner on the customer's page in the console, or
    the API with the biller's key (``api_key_id``, ``actor`` None — keys are made by owners)."""
    biller = Biller.objects.get(pk=customer.biller_id)
    _require_owner_or_key(biller, actor, api_key_id, message="Only an owner can change a customer's payment settings.")
    errors: dict[str, list[str]] = {}
    for name, switch in (("accept_ach", accept_ach), ("allow_autopay", allow_autopay)):
        if switch not in Switch.values:
            errors[name] = ["Choose on, off, or as the business's setting."]
    limits: tuple[tuple[str, str, int | None], ...] = (
        ("max_per_payment", "Maximum per payment", max_per_payment_cents),
        ("max_per_month", "Maximum per month", max_per_month_cents),
    )
    for field, label, value in limits:
        if value is not None and value <= 0:
            errors[field] = [f"The {label} must be more than $0.00; leave it empty for no limit."]
    if errors:
        raise PaymentControlsError(errors=errors)
    _check_scheduled(scheduled)
    current = CustomerPaymentSettings.objects.select_for_update().filter(customer=customer).first()
    own = current or CustomerPaymentSettings(customer=customer)
    before_rules = payment_rules_many([customer.pk])
    before = _snapshot(own, CUSTOMER_FIELDS) if current else _snapshot(CustomerPaymentSettings(), CUSTOMER_FIELDS)
    own.accept_ach, own.allow_autopay = accept_ach, allow_autopay
    own.max_per_payment_cents, own.max_per_month_cents = max_per_payment_cents, max_per_month_cents
    own.updated_at = timezone.now()
    own.save()
    cancelled, lost = _follow(before_rules, payment_rules_many([customer.pk]), scheduled=scheduled, actor=actor)
    _record(
        biller=biller,
        customer=customer,
        actor=actor,
        api_key_id=api_key_id,
        before=before,
        after=_snapshot(own, CUSTOMER_FIELDS),
        scheduled=_scheduled_word(scheduled) if lost else "",
        cancelled=cancelled,
    )
    return own


def _require_owner_or_key(biller: Biller, actor: User | None, api_key_id: int | None, *, message: str) -> None:
    if actor is None:
        if api_key_id is None:
            raise NotPermitted(message)
        return  # the biller's own API key (authenticated and scoped to the biller by the API)
    require_owner(biller, actor, message=message)


def _check_scheduled(scheduled: str) -> None:
    if scheduled not in (KEEP, CANCEL):
        raise PaymentControlsError("Choose whether scheduled payments are kept or cancelled.", field="scheduled")


def _scheduled_word(scheduled: str) -> str:
    return "cancelled" if scheduled == CANCEL else "kept"


def _follow(
    before: dict[int, PaymentRules], after: dict[int, PaymentRules], *, scheduled: str, actor: User | None
) -> tuple[list[int], bool]:
    """What follows a save: the customers who lost ACH or Auto Pay, their scheduled payments kept or
    cancelled, Auto Pay's customers told. Returns the payments cancelled, and whether anyone lost
    anything (only then does the history say what became of the scheduled payments)."""
    lost_ach = [pk for pk, rules in after.items() if before[pk].accept_ach and not rules.accept_ach]
    lost_autopay = [pk for pk, rules in after.items() if before[pk].allow_autopay and not rules.allow_autopay]
    cancelled: list[int] = []
    if scheduled == CANCEL and (lost_ach or lost_autopay):
        in_file = len(_payments_of(lost_ach, lost_autopay, PaymentStatus.SENT))
        if in_file:
            raise PaymentControlsError(
                f"{in_file} of the payments you asked to cancel {'is' if in_file == 1 else 'are'} already in a file "
                "sent to the bank and can no longer be cancelled. Nothing was changed: keep the scheduled payments, "
                "or switch off once those payments have settled.",
                field="scheduled",
            )
        reason = f"Cancelled: {after[(lost_ach or lost_autopay)[0]].biller_name} switched off " + (
            "ACH payments" if lost_ach else "Auto Pay"
        )
        for payment_id in _payments_of(lost_ach, lost_autopay, PaymentStatus.SCHEDULED):
            payment_cancel(payment=Payment(pk=payment_id), actor=actor, reason=reason)
            cancelled.append(payment_id)
        # Auto Pay's claims go with its cancelled payments (as when Auto Pay withdraws one itself), so
        # once Auto Pay is allowed again it pays those invoices.
        for chunk in batches(cancelled, IDS_PER_STATEMENT):
            AutoPayClaim.objects.filter(payment_id__in=chunk).delete()
    if lost_autopay:
        autopay_disallowed(lost_autopay, cancelled)
    return cancelled, bool(lost_ach or lost_autopay)


def _payments_of(lost_ach: list[int], lost_autopay: list[int], status: str) -> list[int]:
    """The ACH payments in ``status`` of the customers who lost ACH, and Auto Pay's of those who lost
    Auto Pay, by id (a biller-wide switch may concern every customer: IN (…) a slice at a time)."""
    found: set[int] = set()
    ach = Payment.objects.filter(method=PaymentMethod.ACH, status=status)
    for chunk in batches(lost_ach, IDS_PER_STATEMENT):
        found.update(ach.filter(customer_id__in=chunk).values_list("pk", flat=True))
    for chunk in batches(lost_autopay, IDS_PER_STATEMENT):
        found.update(ach.filter(customer_id__in=chunk, is_autopay=True).values_list("pk", flat=True))
    return sorted(found)
