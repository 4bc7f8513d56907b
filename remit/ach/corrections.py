"""Notifications of change (SEC COR, addenda 98): the customer's bank says how to address the account
next time. C01–C03 and C05–C07 are applied to the saved bank account; every other change code (a
name, an ID, a refused notification…) is recorded and shown, and changes nothing — it is still the
biller's entry, so it is not "not ours" and no reason to refuse the file. Once per entry and code."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.ach.codes import CORRECTION_MEANINGS, correction_meaning
from remit.ach.models import AchCorrection, AchEntry, InboundFile, ValidationEntry
from remit.ach.nacha import CorrectionAddenda
from remit.ach.returning import ImportResult
from remit.lib import crypto
from remit.payments.bank_accounts import account_lookup_hash
from remit.payments.models import BankAccount, BankAccountType


def correct(ach_entry: AchEntry, addenda: CorrectionAddenda, inbound: InboundFile, result: ImportResult) -> None:
    code = addenda.change_code
    if AchCorrection.objects.filter(entry=ach_entry, code=code).exists():
        result.unchanged += 1
        return
    account = ach_entry.payment.bank_account
    if code not in CORRECTION_MEANINGS:
        summary = f"{correction_meaning(code)}: recorded; Remit changes nothing for it"
    elif account is None:
        summary = "Bank account not found"
    else:
        summary = _apply(account, code, addenda.corrected_data)
    AchCorrection.objects.create(entry=ach_entry, inbound=inbound, code=code, summary=summary[:200])
    result.corrected += 1


def correct_validation(entry: ValidationEntry, addenda: CorrectionAddenda, result: ImportResult) -> None:
    """A notification of change about a prenote or micro-entry: the account is corrected as for a
    payment (its validation stands: the bank found the account, with other details). Once per entry."""
    if entry.answer_code:
        result.unchanged += 1
        return
    account = BankAccount.objects.get(pk=entry.validation.bank_account_id)
    code = addenda.change_code
    if code in CORRECTION_MEANINGS:
        _apply(account, code, addenda.corrected_data)
    ValidationEntry.objects.filter(pk=entry.pk).update(answer_code=code, answered_at=timezone.now())
    result.validation_answers += 1


def _apply(account: BankAccount, code: str, data: str) -> str:
    """Update the account as the customer's bank says (NACHA.md: corrected data layouts)."""
    routing = number = kind = None
    if code == "C01":
        number = data[:17].strip()
    elif code == "C02":
        routing = data[:9].strip()
    elif code == "C03":
        routing, number = data[:9].strip(), data[12:29].strip()
    elif code == "C05":
        kind = data[:2].strip()
    elif code == "C06":
        number, kind = data[:17].strip(), data[20:22].strip()
    elif code == "C07":
        routing, number, kind = data[:9].strip(), data[9:26].strip(), data[26:28].strip()
    changes: dict[str, object] = {}
    said: list[str] = []
    if routing:
        changes["routing_number"] = routing
        said.append(f"routing number {routing}")
    if number:
        changes["account_number_encrypted"] = crypto.encrypt(number)
        changes["account_last4"] = number[-4:]
        said.append(f"account number ••••{number[-4:]}")
    if kind:
        new_type = BankAccountType.SAVINGS if kind.startswith("3") else BankAccountType.CHECKING
        changes["account_type"] = new_type
        said.append(new_type.label.lower())
    if routing or number:
        current_number = number or crypto.decrypt(account.account_number_encrypted)
        changes["lookup_hash"] = account_lookup_hash(
            routing_number=routing or account.routing_number, account_number=current_number
        )
    try:
        with transaction.atomic():
            BankAccount.objects.filter(pk=account.pk).update(**changes)
    except IntegrityError:
        return f"{CORRECTION_MEANINGS[code]}: not applied, the corrected account is already saved"
    return f"{CORRECTION_MEANINGS[code]}: now {', '.join(said)}"
