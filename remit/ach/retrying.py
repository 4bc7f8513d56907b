"""Retries of payments returned for insufficient or uncollected funds (R01, R09), planned where the
returns are imported, in bulk, and skipped from the signed link in the customer's email.

**Where**: ``returning.return_entries`` calls ``plan_retries`` in the import's transaction, once the
payments are returned and the unusable accounts blocked, so the return email that tells the customer
of a return also says "we'll try again on <date>" with the skip link (one email per customer account,
as before). Planning at the import — not in a periodic task — means the customer is told of the
retry when they learn of the return, the retry's date is known from the moment the return is, and no
sweep has to find returns again. A fixed number of queries per ``CHUNK`` returned payments (the
policies, the chains, the accounts, the allocations, the invoices' locks, the writes), and one query
when no returned payment's biller has retries on, so the import stays fast.

**What**: a retry is its own ``Payment`` (``retry_of`` = the chain's original), of the same amount,
from the same bank account, with the same allocations, written by ``ledger.scheduling.
payments_schedule_many`` (the one scheduling write path) for the date ``retry_rules.decide`` gives.
The export puts it in a batch described ``RETRY PYMT``. A returned payment that is not retried while
its biller's policy is on gets one history line saying why.

**Skip**: ``retry_skip`` cancels the retry through the cancel action, recording who skipped it; a
chain with a cancelled retry is never retried again (``retry_rules.Chain.cancelled``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from remit.ach import retry_rules
from remit.ach.codes import return_meaning
from remit.ach.models import RetryPolicy
from remit.ach.retry_policy import as_rules
from remit.billers.models import Biller
from remit.ledger.errors import PaymentError
from remit.ledger.locks import lock_invoices
from remit.ledger.scheduling import Plan, payment_cancel, payments_schedule_many
from remit.lib.bulk import batches
from remit.payments.dates import earliest_pay_on
from remit.payments.models import (
    Allocation,
    BankAccount,
    BankAccountStatus,
    Payment,
    PaymentEvent,
    PaymentStatus,
)
from remit.users.models import User
from remit.webhooks.emit import Listeners, webhook_listeners, webhooks_emit
from remit.webhooks.models import EventType

CHUNK = 300  # returned payments planned per round of queries (the chains' IN (…) lists stay bounded)


@dataclass(frozen=True)
class Planned:
    """The retry made for a returned payment: its id and its Pay On date."""

    retry_id: int
    pay_on: date


def plan_retries(returned: Sequence[tuple[Payment, str]], *, now: datetime | None = None) -> dict[int, Planned]:
    """Decide, for each payment just returned with its code, whether it is tried again, and schedule
    the retries. Returns {returned payment id: its retry}. Call in the import's transaction, after the
    payments were returned (their invoices locked, amounts refreshed) and unusable accounts blocked."""
    candidates = [(payment, code) for payment, code in returned if code in retry_rules.RETRYABLE]
    if not candidates:
        return {}
    policies = {
        policy.biller_id: as_rules(policy)
        for policy in RetryPolicy.objects.filter(biller_id__in={p.biller_id for p, _ in candidates}, retries__gt=0)
    }
    on = [(payment, code) for payment, code in candidates if payment.biller_id in policies]
    if not on:
        return {}
    billers = Biller.objects.only("time_zone", "ach_cutoff_time").in_bulk(list(policies))
    listeners = webhook_listeners(biller_ids=set(policies))
    planned: dict[int, Planned] = {}
    for chunk in batches(sorted(on, key=lambda item: item[0].pk), CHUNK):
        planned.update(_plan_chunk(chunk, policies, billers, now or timezone.now(), listeners))
    return planned


def _plan_chunk(
    chunk: Sequence[tuple[Payment, str]],
    policies: dict[int, retry_rules.Policy],
    billers: dict[int, Biller],
    now: datetime,
    listeners: Listeners,
) -> dict[int, Planned]:
    originals = {payment.retry_of_id or payment.pk for payment, _ in chunk}
    chains = _chains(originals)
    usable = _usable_accounts({payment.bank_account_id for payment, _ in chunk if payment.bank_account_id})
    parts: dict[int, list[tuple[int, int]]] = {}
    for payment_id, invoice_id, cents in (
        Allocation.objects.filter(payment_id__in=[p.pk for p, _ in chunk])
        .order_by("pk")
        .values_list("payment_id", "invoice_id", "amount_cents")
    ):
        parts.setdefault(payment_id, []).append((invoice_id, cents))
    invoices = lock_invoices(invoice_id for these in parts.values() for invoice_id, _ in these)
    available = {pk: invoice.available_cents for pk, invoice in invoices.items()}
    plans: list[Plan] = []
    for_payment: list[int] = []
    not_retried: list[PaymentEvent] = []
    for payment, code in chunk:
        original = payment.retry_of_id or payment.pk
        mine = parts.get(payment.pk, [])
        covered = not mine or any(available.get(invoice_id, 0) < cents for invoice_id, cents in mine)
        facts = retry_rules.Facts(
            code=code,
            chain=chains[original],
            account_usable=payment.bank_account_id in usable,
            covered=covered,
        )
        local = now.astimezone(ZoneInfo(billers[payment.biller_id].time_zone))
        decision = retry_rules.decide(
            policies[payment.biller_id],
            facts,
            returned_on=local.date(),
            earliest=earliest_pay_on(local, billers[payment.biller_id].ach_cutoff_time),
        )
        if decision.retry_on is None:
            not_retried.append(_note(payment, f"Not retried: {decision.reason}"))
            continue
        assert payment.bank_account_id is not None  # usable, so it has one
        for invoice_id, cents in mine:
            available[invoice_id] -= cents  # two returned payments of one invoice: the second sees the first
        number = chains[original].retries + 1
        plans.append(
            Plan(
                biller_id=payment.biller_id,
                customer_id=payment.customer_id,
                bank_account_id=payment.bank_account_id,
                pay_on=decision.retry_on,
                parts=mine,
                note=f"Retry {number} of payment {original}, returned with {code} ({return_meaning(code)})",
                retry_of_id=original,
            )
        )
        for_payment.append(payment.pk)
    retries = payments_schedule_many(plans)
    PaymentEvent.objects.bulk_create(
        not_retried
        + [
            _note(Payment(pk=pk), f"Retry scheduled for {retry.pay_on:%b %-d, %Y} (payment {retry.pk})")
            for pk, retry in zip(for_payment, retries, strict=True)
        ]
    )
    webhooks_emit(type=EventType.PAYMENT_SCHEDULED, ids=[r.pk for r in retries], listeners=listeners)
    return {pk: Planned(retry.pk, retry.pay_on) for pk, retry in zip(for_payment, retries, strict=True)}


def _note(payment: Payment, text: str) -> PaymentEvent:
    return PaymentEvent(
        payment_id=payment.pk, from_status=PaymentStatus.RETURNED, to_status=PaymentStatus.RETURNED, note=text[:500]
    )


def _chains(originals: set[int]) -> dict[int, retry_rules.Chain]:
    """Each original payment's chain: its effective date, every return code, the retries made, and
    whether one of them was cancelled. One query."""
    rows = Payment.objects.filter(Q(pk__in=originals) | Q(retry_of_id__in=originals)).values_list(
        "pk", "retry_of_id", "status", "pay_on", "ach_entry__file__effective_date", "ach_entry__ach_return__code"
    )
    effective: dict[int, date] = {}
    codes: dict[int, list[str]] = {pk: [] for pk in originals}
    retries: dict[int, int] = dict.fromkeys(originals, 0)
    cancelled: set[int] = set()
    for pk, retry_of_id, status, pay_on, effective_date, code in rows:
        original = retry_of_id or pk
        if retry_of_id is None:
            effective[pk] = effective_date or pay_on
        else:
            retries[original] += 1
            if status == PaymentStatus.CANCELLED:
                cancelled.add(original)
        if code:
            codes[original].append(code)
    return {
        pk: retry_rules.Chain(
            original_effective=effective[pk], codes=tuple(codes[pk]), retries=retries[pk], cancelled=pk in cancelled
        )
        for pk in originals
    }


def _usable_accounts(account_ids: set[int]) -> set[int]:
    """The accounts that may still be debited: active, their authorization not ended."""
    return set(
        BankAccount.objects.filter(
            pk__in=account_ids, status=BankAccountStatus.ACTIVE, authorization__ended_at__isnull=True
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def retry_skip(*, payment: Payment, actor: User | None) -> Payment:
    """The customer skips a retry before it is sent: cancelled through the cancel action, the skip
    recorded in its history (who, or the email's link); its chain is never retried again. ``actor``
    None: from the signed link (the view checked the signature)."""
    if payment.retry_of_id is None:
        raise PaymentError("This payment is not a retry.")
    how = f"Retry skipped by {actor.email}" if actor else "Retry skipped from the link in the email"
    return payment_cancel(payment=payment, actor=actor, reason=how)
