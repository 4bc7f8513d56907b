"""The biller's risk rules at the export: before a file is written, the day's due payments that trip a
rule (``payments.risk_rules``) are held for review and so left out of it (``ach.export``).

It lives in ``ach`` because it runs in the export's transaction (the biller's export lock held) and
reads Auto Pay's history (``autopay``, which ``payments`` may not import). The facts are gathered
in a few aggregate queries over the day's payments, each returning only the payments that may trip
its rule (a 100,000-payment file where nothing is risky costs a handful of small reads), then the
pure core decides and the holds are placed in bulk, one per payment however many rules it trips.
A payment that already has a hold (undecided, or approved: the team looked at it) is not held again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber

from remit.autopay.models import AutoPayChange
from remit.billers.models import Biller
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.payments.holds import payment_holds_place_many
from remit.payments.models import (
    BankAccount,
    BankAccountStatus,
    Payment,
    PaymentHold,
    PaymentMethod,
    PaymentStatus,
)
from remit.payments.risk_rules import (
    USUAL_AT_LEAST,
    USUAL_OF,
    PaymentFacts,
    RiskSettings,
    account_bursts,
    hold_reason,
    median_cents,
    trips,
)
from remit.payments.risk_settings import risk_settings_of

DEBITED = (PaymentStatus.SENT, PaymentStatus.SETTLED)
MANY_ACCOUNTS_DAYS = 30  # how far back the many-accounts rule looks for accounts added together


@dataclass
class _Found:
    """What the queries found, by payment, account or customer; a payment in none of them is safe."""

    first_debit: set[int] = field(default_factory=set)
    autopay_since: dict[int, date] = field(default_factory=dict)
    settled: dict[int, tuple[int, ...]] = field(default_factory=dict)
    unusual: set[int] = field(default_factory=set)
    bursts: dict[int, int] = field(default_factory=dict)
    sharing: dict[str, int] = field(default_factory=dict)
    payments: set[int] = field(default_factory=set)


def hold_risky(biller: Biller, day: date, due: Any, *, rules: RiskSettings | None = None) -> list[int]:
    """Hold the payments of ``due`` (the file's due payments, all with Pay On ``day``) that trip one of
    the biller's rules. Returns their ids. Call it in the export's transaction."""
    rules = rules or risk_settings_of(biller)
    if not rules.any_on:
        return []
    zone = ZoneInfo(biller.time_zone)
    candidates = due
    if PaymentHold.objects.filter(payment__biller=biller).exists():
        candidates = due.filter(~Exists(PaymentHold.objects.filter(payment=OuterRef("pk"))))
    found = _Found()
    if rules.new_account_on:
        _new_accounts(candidates, rules, found)
    if rules.account_change_on:
        _account_changes(biller, candidates, day, rules, zone, found)
    if rules.unusual_amount_on:
        _unusual(candidates, rules, found)
    if rules.many_accounts_on:
        _many_accounts(biller, candidates, day, rules, zone, found)
    if rules.shared_account_on:
        _shared(biller, candidates, rules, found)
    if not found.payments:
        return []
    holds = []
    for facts in _facts(found, zone):
        tripped = trips(facts, rules)
        if tripped:
            code, reason = hold_reason(tripped)
            holds.append((facts.payment_id, code, reason))
    payment_holds_place_many(biller_id=biller.pk, holds=holds)
    return [payment_id for payment_id, _, _ in holds]


def _new_accounts(candidates: Any, rules: RiskSettings, found: _Found) -> None:
    """Payments above the amount from an account no debit was ever sent or settled from."""
    earlier = Payment.objects.filter(bank_account_id=OuterRef("bank_account_id"), status__in=DEBITED)
    ids = candidates.filter(amount_cents__gt=rules.new_account_above_cents).filter(~Exists(earlier))
    found.first_debit.update(ids.values_list("pk", flat=True))
    found.payments |= found.first_debit


def _account_changes(
    biller: Biller, candidates: Any, day: date, rules: RiskSettings, zone: ZoneInfo, found: _Found
) -> None:
    """Auto Pay payments from an account added, or made Auto Pay's account, within the days set."""
    since = datetime.combine(day - timedelta(days=rules.account_change_days), time.min, zone)
    switched: dict[tuple[int, int], date] = {}  # (customer, account) → the latest switch to it
    changes = AutoPayChange.objects.filter(customer__biller=biller, created_at__gte=since).order_by("created_at")
    for customer_id, at, before, after in changes.values_list("customer_id", "created_at", "before", "after"):
        # A switch from another account (Auto Pay first turned on with an old account is no change).
        account_id, earlier = (after or {}).get("bank_account_id"), (before or {}).get("bank_account_id")
        if account_id and earlier and earlier != account_id:
            switched[(customer_id, account_id)] = at.astimezone(zone).date()
    autopay = candidates.filter(is_autopay=True)
    columns = ("pk", "customer_id", "bank_account_id", "bank_account__created_at")
    rows = set(autopay.filter(bank_account__created_at__gte=since).values_list(*columns))
    for chunk in batches(sorted({customer_id for customer_id, _ in switched}), IDS_PER_STATEMENT):
        rows.update(autopay.filter(customer_id__in=chunk).values_list(*columns))
    for pk, customer_id, account_id, added in rows:
        dates = [d for d in (switched.get((customer_id, account_id)),) if d is not None]
        if added >= since:
            dates.append(added.astimezone(zone).date())
        if dates:
            found.autopay_since[pk] = max(dates)
            found.payments.add(pk)


def _unusual(candidates: Any, rules: RiskSettings, found: _Found) -> None:
    """Payments more than K times the median of their customer's last settled payments. The
    customers are read first and their histories a slice at a time: SQLite plans the window over an
    IN (subquery) poorly."""
    customers = sorted(candidates.order_by().values_list("customer_id", flat=True).distinct())
    amounts: dict[int, list[int]] = defaultdict(list)
    history = Payment.objects.filter(method=PaymentMethod.ACH, status=PaymentStatus.SETTLED)
    newest = Window(RowNumber(), partition_by=[F("customer_id")], order_by=[F("pay_on").desc(), F("pk").desc()])
    for chunk in batches(customers, IDS_PER_STATEMENT):
        ranked = history.filter(customer_id__in=chunk).annotate(n=newest).filter(n__lte=USUAL_OF)
        # Newest first (the order the pure core expects); the row number itself is not read.
        for customer_id, amount in ranked.order_by("customer_id", "-pay_on", "-pk").values_list(
            "customer_id", "amount_cents"
        ):
            amounts[customer_id].append(amount)
    limits: dict[int, Any] = {}
    for customer_id, newest_first in amounts.items():
        if len(newest_first) >= USUAL_AT_LEAST:
            settled = tuple(newest_first)
            found.settled[customer_id] = settled
            limits[customer_id] = median_cents(settled) * rules.unusual_amount_times
    for chunk in batches(sorted(limits), IDS_PER_STATEMENT):
        lowest = int(min(limits[c] for c in chunk))
        rows = candidates.filter(customer_id__in=chunk, amount_cents__gt=lowest).values_list(
            "pk", "customer_id", "amount_cents"
        )
        found.unusual.update(pk for pk, customer_id, amount in rows if amount > limits[customer_id])
    found.payments |= found.unusual


def _many_accounts(
    biller: Biller, candidates: Any, day: date, rules: RiskSettings, zone: ZoneInfo, found: _Found
) -> None:
    """Payments from accounts added, with others of the same customer's, many within 24 hours, in the
    ``MANY_ACCOUNTS_DAYS`` before the Pay On (a burst long past, with no trouble since, holds nothing)."""
    since = datetime.combine(day - timedelta(days=MANY_ACCOUNTS_DAYS + 1), time.min, zone)  # + the 24 hours
    recent = BankAccount.objects.filter(customer__biller=biller, created_at__gte=since)
    busy = list(
        recent.values("customer_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=rules.many_accounts_count)
        .values_list("customer_id", flat=True)
        .order_by()
    )
    added: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for chunk in batches(busy, IDS_PER_STATEMENT):
        for customer_id, pk, at in recent.filter(customer_id__in=chunk).values_list("customer_id", "pk", "created_at"):
            added[customer_id].append((pk, at))
    for accounts in added.values():
        found.bursts.update((pk, n) for pk, n in account_bursts(accounts).items() if n >= rules.many_accounts_count)
    _payments_from(candidates, "bank_account_id", sorted(found.bursts), found)


def _shared(biller: Biller, candidates: Any, rules: RiskSettings, found: _Found) -> None:
    """Payments from an account (routing and number) active at several of the biller's customers."""
    shared = (
        BankAccount.objects.filter(customer__biller=biller, status=BankAccountStatus.ACTIVE)
        .values("lookup_hash")
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gte=rules.shared_account_customers)
        .values_list("lookup_hash", "n")
        .order_by()
    )
    found.sharing.update(shared)
    _payments_from(candidates, "bank_account__lookup_hash", sorted(found.sharing), found)


def _payments_from(candidates: Any, column: str, values: list[Any], found: _Found) -> None:
    """The candidates whose ``column`` is one of ``values`` (a slice at a time: SQLite's parameter limit)."""
    for chunk in batches(values, IDS_PER_STATEMENT):
        found.payments.update(candidates.filter(**{f"{column}__in": chunk}).values_list("pk", flat=True))


FACTS = (
    "pk",
    "amount_cents",
    "pay_on",
    "customer_id",
    "bank_account_id",
    "bank_account__account_last4",
    "bank_account__created_at",
    "bank_account__lookup_hash",
)


def _facts(found: _Found, zone: ZoneInfo) -> Iterable[PaymentFacts]:
    """Each payment some query found, with every fact the rules need."""
    for chunk in batches(sorted(found.payments), IDS_PER_STATEMENT):
        for pk, amount, pay_on, customer_id, account_id, last4, added, lookup in (
            Payment.objects.filter(pk__in=chunk).order_by("pk").values_list(*FACTS)
        ):
            yield PaymentFacts(
                payment_id=pk,
                amount_cents=amount,
                pay_on=pay_on,
                account_last4=last4,
                account_added_on=added.astimezone(zone).date(),
                first_debit=pk in found.first_debit,
                autopay_account_since=found.autopay_since.get(pk),
                settled_amounts=found.settled.get(customer_id, ()),
                accounts_added_in_a_day=found.bursts.get(account_id, 1),
                customers_sharing=found.sharing.get(lookup, 1),
            )
