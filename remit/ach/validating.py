"""Account validation in the biller's files (``payments.validation`` has the rules): the micro-entries
and prenotes of accounts not yet validated go in the next file, each recorded as a ``ValidationEntry``
with its trace; and what the bank answers about one of them — a return blocks the account, a
notification of change corrects it as for a payment.

Micro-entries: one batch per SEC code, company entry description ``ACCTVERIFY`` and the company name
of the debits, two credits (22/32) under $1.00 per account and, if the biller chose it, a debit (27/37)
of their sum settling with them (service class 200; 220 without the debits). A balanced file always
carries the debit: its offset entry balances the payments, and each account's entries balance
themselves. Prenotes: a zero-amount
debit prenote (28/38) per account, in a debits-only batch with the biller's usual description.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone

from remit.ach import nacha
from remit.ach.codes import return_meaning
from remit.ach.models import AchFile, AchSettings, ValidationEntry
from remit.customers.models import AccountType
from remit.customers.selectors import admins
from remit.lib import crypto
from remit.payments.bank_accounts import bank_account_retire
from remit.payments.disclosure import email_people, with_person
from remit.payments.models import (
    AccountValidation,
    BankAccount,
    BankAccountStatus,
    BankAccountType,
    ValidationMethod,
    ValidationStatus,
)
from remit.payments.validation import validation_sent, validations_to_send

MICRO_DESCRIPTION = "ACCTVERIFY"
CREDIT = {BankAccountType.CHECKING: 22, BankAccountType.SAVINGS: 32}
DEBIT = {BankAccountType.CHECKING: 27, BankAccountType.SAVINGS: 37}
PRENOTE = {BankAccountType.CHECKING: 28, BankAccountType.SAVINGS: 38}


@dataclass
class PendingEntries:
    """The validations a file will carry, and the entries written for them (recorded at the end)."""

    validations: list[AccountValidation]
    rows: list[ValidationEntry] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.validations)

    def of(self, method: str, sec: str) -> list[AccountValidation]:
        personal = AccountType.PERSONAL
        return [
            v
            for v in self.validations
            if v.method == method and (v.bank_account.customer.account_type == personal) == (sec == "WEB")
        ]


def pending_entries(biller_id: int) -> PendingEntries:
    return PendingEntries(validations_to_send(biller_id))


def validation_batches(
    ach: AchSettings,
    header: Callable[[str, int, int, str], nacha.BatchHeader],
    pending: PendingEntries,
    trace: Callable[[], str],
    first_number: int,
) -> Iterator[tuple[nacha.BatchHeader, Iterator[nacha.Entry]]]:
    """The validation batches, numbered from ``first_number``. ``header(sec, service class, number,
    description)`` builds a batch header as the export does; ``trace()`` takes the next trace."""
    number = first_number
    for sec in ("WEB", "CCD"):
        micro = pending.of(ValidationMethod.MICRO_ENTRIES, sec)
        if micro:
            # A balanced file's offset balances the payments only: its micro-entries balance themselves.
            with_debit = ach.balanced or any(v.offsetting_debit for v in micro)
            service_class = 200 if with_debit else 220
            entries = list(_micro_entries(micro, sec, number, trace, pending, always_debit=ach.balanced))
            yield header(sec, service_class, number, MICRO_DESCRIPTION), iter(entries)
            number += 1
        prenotes = pending.of(ValidationMethod.PRENOTE, sec)
        if prenotes:
            entries = list(_prenotes(prenotes, sec, number, trace, pending))
            yield header(sec, 225, number, ach.entry_description), iter(entries)
            number += 1


def _entry(validation: AccountValidation, code: int, amount: int, sec: str, trace: str, number: str) -> nacha.Entry:
    account = validation.bank_account
    return nacha.Entry(
        transaction_code=code,
        routing_number=account.routing_number,
        account_number=number,
        amount_cents=amount,
        individual_id=f"V{validation.pk}",
        individual_name=account.holder_name,
        trace_number=trace,
        discretionary="S " if nacha.needs_payment_type(sec, code) else "",
    )


def _micro_entries(
    validations: list[AccountValidation],
    sec: str,
    batch_number: int,
    trace: Callable[[], str],
    pending: PendingEntries,
    *,
    always_debit: bool,
) -> Iterator[nacha.Entry]:
    for validation in validations:
        kind = BankAccountType(validation.bank_account.account_type)
        number = crypto.decrypt(validation.bank_account.account_number_encrypted)
        amounts = [validation.amount_1_cents or 0, validation.amount_2_cents or 0]
        parts = [(ValidationEntry.Kind.CREDIT, CREDIT[kind], amount) for amount in amounts]
        if validation.offsetting_debit or always_debit:
            parts.append((ValidationEntry.Kind.DEBIT, DEBIT[kind], sum(amounts)))
        for what, code, amount in parts:
            number_trace = trace()
            pending.rows.append(_row(validation, what, code, amount, sec, batch_number, number_trace))
            yield _entry(validation, code, amount, sec, number_trace, number)


def _prenotes(
    validations: list[AccountValidation],
    sec: str,
    batch_number: int,
    trace: Callable[[], str],
    pending: PendingEntries,
) -> Iterator[nacha.Entry]:
    for validation in validations:
        code = PRENOTE[BankAccountType(validation.bank_account.account_type)]
        number = crypto.decrypt(validation.bank_account.account_number_encrypted)
        number_trace = trace()
        pending.rows.append(_row(validation, ValidationEntry.Kind.PRENOTE, code, 0, sec, batch_number, number_trace))
        yield _entry(validation, code, 0, sec, number_trace, number)


def _row(
    validation: AccountValidation, kind: str, code: int, amount: int, sec: str, batch_number: int, trace: str
) -> ValidationEntry:
    return ValidationEntry(
        validation=validation,
        biller_id=validation.bank_account.customer.biller_id,
        kind=kind,
        batch_number=batch_number,
        sec_code=sec,
        transaction_code=code,
        trace_number=trace,
        amount_cents=amount,
    )


def record_validation_entries(record: AchFile, pending: PendingEntries) -> None:
    """In the export's transaction, once the file is written: the entries, and the validations sent."""
    for row in pending.rows:
        row.file = record
    ValidationEntry.objects.bulk_create(pending.rows)
    validation_sent([v.pk for v in pending.validations], effective_date=record.effective_date)


# --- What the bank answers about a validation entry -------------------------------------------------


def validation_entry_returned(entry: ValidationEntry, *, code: str) -> bool:
    """A return of a prenote or micro-entry: the account can't be validated, and is blocked (the one
    retirement path: Auto Pay off, scheduled payments cancelled, authorization ended), its customer
    told. Call once per entry (``answer_code`` blank). True when this answer blocked the account (a
    second micro-entry's return finds it blocked already)."""
    meaning = return_meaning(code)
    ValidationEntry.objects.filter(pk=entry.pk).update(answer_code=code, answered_at=timezone.now())
    validation = (
        AccountValidation.objects.select_for_update(of=("self",))
        .select_related("bank_account__customer__biller", "bank_account__added_by")
        .get(pk=entry.validation_id)
    )
    if validation.status != ValidationStatus.FAILED:
        validation.status = ValidationStatus.FAILED
        validation.note = f"Returned by the bank: {code} {meaning}"[:300]
        validation.save(update_fields=["status", "note"])
        BankAccount.objects.filter(pk=validation.bank_account_id).update(debits_from=None)
    if validation.bank_account.status == BankAccountStatus.ACTIVE:
        retired = bank_account_retire(
            validation.bank_account,
            actor=None,
            reason=f"the bank returned its verification ({code})",
            status=BankAccountStatus.BLOCKED,
            cancel_note=f"The bank returned the account's verification ({code}: {meaning})",
            strict=False,
        )
        _tell_customer(validation.bank_account, code=code, meaning=meaning, cancelled=len(retired.cancelled))
        return True
    return False


def _tell_customer(account: BankAccount, *, code: str, meaning: str, cancelled: int) -> None:
    """The customer's admins and whoever added the account learn it can't be used, and why."""
    biller = account.customer.biller
    email_people(
        people=with_person(admins(account.customer_id), account.added_by),
        accounts=[account],
        template="account_validation_returned",
        biller=biller,
        context={
            "account": account,
            "code": code,
            "meaning": meaning,
            "cancelled": cancelled,
            "accounts_url": biller.portal_url("bank-accounts/"),
        },
    )
