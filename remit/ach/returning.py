"""Returning the biller's payments the bank sent back, in bulk, and what an import reports.

Used by the return import (``returns.py``) for plain returns, and by ``dishonors.py`` for a contested
dishonored return whose return Remit never recorded (it stands as a return)."""

from __future__ import annotations

from dataclasses import dataclass, field

from remit.ach.codes import UNUSABLE, return_meaning
from remit.ach.models import AchDishonor, AchEntry, AchOffsetReturn, AchReturn, InboundFile
from remit.ach.notices import Returned, tell_customers_returned
from remit.ach.retrying import plan_retries
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.payments.actions import RETURNABLE, Return, payments_return_many
from remit.payments.bank_accounts import bank_account_retire
from remit.payments.models import BankAccount, BankAccountStatus


@dataclass
class ImportResult:
    """What an import did (the console's import page reads the same from the ``InboundFile`` rows)."""

    inbound: InboundFile | None
    already_imported: bool = False
    returned: int = 0
    corrected: int = 0
    blocked_accounts: int = 0
    restored: int = 0  # payments a dishonored return restored
    dishonored: int = 0  # dishonored and contested returns recorded
    offset_returns: int = 0
    validation_answers: int = 0  # returns and notifications of change about prenotes and micro-entries
    not_ours: int = 0
    unchanged: int = 0  # entries an earlier file had answered already
    retries: int = 0  # retries scheduled for payments returned with R01/R09 (``retrying``)
    returns: list[AchReturn] = field(default_factory=list)
    dishonors: list[AchDishonor] = field(default_factory=list)
    offsets: list[AchOffsetReturn] = field(default_factory=list)


@dataclass(frozen=True)
class ToReturn:
    """Return the payment of ``sent`` with ``code``; ``trace``: the return entry's trace number."""

    sent: AchEntry
    code: str
    trace: str


def return_entries(items: list[ToReturn], inbound: InboundFile, result: ImportResult) -> set[int]:
    """Return every payment of ``items``, in bulk: a fixed number of queries per 500 payments (the
    payments, their invoices' locks and amounts, the ``AchReturn`` rows, the webhooks, one email per
    customer account), plus the retirement of each account a code says can't be debited. A payment
    returned by an earlier file, or no longer sent or settled, is left as it is (counted unchanged).
    Returns the ids of the payments returned."""
    first: dict[int, ToReturn] = {}
    for item in items:
        if item.sent.pk in first:  # a trace twice in one file: the first says
            result.unchanged += 1
        first.setdefault(item.sent.pk, item)
    done: set[int] = set()
    for chunk in batches(sorted(first), IDS_PER_STATEMENT):  # returned by an earlier file: left as it is
        done.update(AchReturn.objects.filter(entry_id__in=chunk).values_list("entry_id", flat=True))
    todo = [item for pk, item in first.items() if pk not in done and item.sent.payment.status in RETURNABLE]
    result.unchanged += len(first) - len(todo)
    asked = [Return(payment_id=i.sent.payment_id, code=i.code, note=return_note(i.code)) for i in todo]
    returned = set(payments_return_many(asked))
    result.unchanged += len(todo) - len(returned)
    todo = [item for item in todo if item.sent.payment_id in returned]
    autopay_off = block_accounts([(item.sent, item.code) for item in todo], result)
    records = [
        AchReturn(
            entry=item.sent,
            inbound=inbound,
            code=item.code,
            meaning=return_meaning(item.code),
            account_blocked=item.code in UNUSABLE,
            return_trace=item.trace,
        )
        for item in todo
    ]
    AchReturn.objects.bulk_create(records, batch_size=IDS_PER_STATEMENT)
    result.returned += len(records)
    result.returns += records
    retries = plan_retries([(item.sent.payment, item.code) for item in todo])
    result.retries += len(retries)
    tell_customers_returned(
        [
            Returned(
                payment_id=item.sent.payment_id,
                customer_id=item.sent.payment.customer_id,
                code=record.code,
                meaning=record.meaning,
                blocked=record.account_blocked,
                autopay_off=item.sent.payment.bank_account_id in autopay_off,
                retry_id=retries[item.sent.payment_id].retry_id if item.sent.payment_id in retries else None,
            )
            for item, record in zip(todo, records, strict=True)
        ]
    )
    return returned


def return_note(code: str) -> str:
    # History names no account (payments.disclosure): the payment's events are read by colleagues
    # who may not see a private account's details.
    return f"Returned by the customer's bank: {code} {return_meaning(code)}"


def block_accounts(returned: list[tuple[AchEntry, str]], result: ImportResult) -> set[int]:
    """Block, once each, the active accounts of payments returned with a code that says the account
    can't be debited again. Returns the ids of those Auto Pay used (it is off now)."""
    reasons: dict[int, str] = {}
    for ach_entry, code in returned:
        if code in UNUSABLE and ach_entry.payment.bank_account_id is not None:
            reason = f"The bank returned a payment from this account with {code} ({return_meaning(code)})"
            reasons.setdefault(ach_entry.payment.bank_account_id, reason)
    autopay_off: set[int] = set()
    accounts = BankAccount.objects.filter(pk__in=sorted(reasons), status=BankAccountStatus.ACTIVE).order_by("pk")
    for account in accounts:
        result.blocked_accounts += 1
        # One path with a person's removal: what is scheduled from it is cancelled, Auto Pay turns off.
        reason = reasons[account.pk]
        retired = bank_account_retire(
            account, actor=None, reason=reason, status=BankAccountStatus.BLOCKED, cancel_note=reason, strict=False
        )
        if retired.autopay_was_on:
            autopay_off.add(account.pk)
    return autopay_off
