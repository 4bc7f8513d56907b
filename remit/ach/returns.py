"""What the bank sends back: returns (type 99 addenda) and notifications of change (COR, type 98).

All or nothing: the file is read and every entry matched to the payment it answers (by original
trace number) before anything changes; a malformed file, or one entry that matches no payment, is
refused as a whole with its line and the reason. Importing the same file twice changes nothing the
second time (the SHA-256 of its records is recorded, so the same file with other line endings is
the same file), and a payment is returned at most once whatever the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from remit.ach.codes import CORRECTION_MEANINGS, UNUSABLE, return_meaning
from remit.ach.models import AchCorrection, AchEntry, AchReturn, InboundFile
from remit.ach.nacha import CorrectionAddenda, ReturnAddenda
from remit.ach.notices import Returned, tell_biller_returned, tell_customers_returned
from remit.ach.reader import NachaFormatError, ParsedEntry, read_file
from remit.billers.models import Biller
from remit.lib import crypto
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.lib.errors import ActionError
from remit.payments.actions import RETURNABLE, Return, payments_return_many
from remit.payments.bank_accounts import account_lookup_hash, bank_account_retire
from remit.payments.models import BankAccount, BankAccountStatus, BankAccountType
from remit.users.models import User


class ReturnFileError(ActionError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.line, self.reason = line, reason


@dataclass
class ImportResult:
    inbound: InboundFile | None
    already_imported: bool = False
    returned: int = 0
    corrected: int = 0
    blocked_accounts: int = 0
    returns: list[AchReturn] = field(default_factory=list)


Matched = tuple[ParsedEntry, ReturnAddenda | CorrectionAddenda, AchEntry]


def ach_import_returns(
    *, text: str, filename: str, biller: Biller | None = None, actor: User | None = None
) -> ImportResult:
    try:
        parsed = read_file(text)
    except NachaFormatError as error:
        raise ReturnFileError(error.line, error.reason) from None
    sha = parsed.records_sha256  # the records, not the bytes: line endings don't make another file
    if InboundFile.objects.filter(sha256=sha).exists():
        return ImportResult(inbound=None, already_imported=True)
    entries = [entry for batch in parsed.batches for entry in batch.entries]
    known = _sent_entries(entries, biller)
    matched = [_match(entry, known) for entry in entries]
    try:
        with transaction.atomic():
            inbound = InboundFile.objects.create(sha256=sha, filename=filename[:200], imported_by=actor)
            result = ImportResult(inbound=inbound)
            _return_all([(e, a) for _, a, e in matched if isinstance(a, ReturnAddenda)], inbound, result)
            for _entry, addenda, ach_entry in matched:
                if isinstance(addenda, CorrectionAddenda):
                    _correct(ach_entry, addenda, inbound, result)
            InboundFile.objects.filter(pk=inbound.pk).update(
                return_count=result.returned, correction_count=result.corrected
            )
            tell_biller_returned(result.returns)
    except IntegrityError:
        if InboundFile.objects.filter(sha256=sha).exists():  # the same file, imported at the same moment
            return ImportResult(inbound=None, already_imported=True)
        raise
    return result


def _sent_entries(entries: list[ParsedEntry], biller: Biller | None) -> dict[str, list[AchEntry]]:
    """The entries Remit sent that the file answers, by trace number, in a few queries."""
    traces = sorted({a.original_trace for e in entries if (a := e.return_addenda or e.correction) is not None})
    found: dict[str, list[AchEntry]] = {}
    for chunk in batches(traces, IDS_PER_STATEMENT):
        sent = AchEntry.objects.select_related("payment").filter(trace_number__in=chunk)
        if biller is not None:
            sent = sent.filter(biller=biller)
        for ach_entry in sent:
            found.setdefault(ach_entry.trace_number, []).append(ach_entry)
    return found


def _match(entry: ParsedEntry, known: dict[str, list[AchEntry]]) -> Matched:
    addenda = entry.return_addenda or entry.correction
    if addenda is None:
        raise ReturnFileError(
            entry.line, "this entry has no return (99) or notification-of-change (98) addenda: not a return file"
        )
    found = known.get(addenda.original_trace, [])
    if not found:
        raise ReturnFileError(entry.line, f"no payment Remit sent has the trace number {addenda.original_trace}")
    if len(found) > 1:
        raise ReturnFileError(
            entry.line,
            f"two billers sent the trace number {addenda.original_trace}; import this file from the biller's console",
        )
    if isinstance(addenda, ReturnAddenda) and not addenda.reason_code.startswith("R"):
        raise ReturnFileError(entry.line, f"“{addenda.reason_code}” is not a return reason code")
    if isinstance(addenda, CorrectionAddenda) and addenda.change_code not in CORRECTION_MEANINGS:
        raise ReturnFileError(
            entry.line, f"“{addenda.change_code}” is not a change code Remit applies (C01–C03, C05–C07)"
        )
    return entry, addenda, found[0]


def _return_all(returns: list[tuple[AchEntry, ReturnAddenda]], inbound: InboundFile, result: ImportResult) -> None:
    """Return every payment the file returns, in bulk: a fixed number of queries per 500 payments
    (the payments, their invoices' locks and amounts, the ``AchReturn`` rows, the webhooks, one email
    per customer account), plus the retirement of each account a code says can't be debited."""
    first: dict[int, tuple[AchEntry, ReturnAddenda]] = {}
    for ach_entry, addenda in returns:
        first.setdefault(ach_entry.pk, (ach_entry, addenda))  # a trace twice in one file: the first says
    done: set[int] = set()
    entry_ids = sorted(first)
    for chunk in batches(entry_ids, IDS_PER_STATEMENT):  # returned by an earlier file: left as it is
        done.update(AchReturn.objects.filter(entry_id__in=chunk).values_list("entry_id", flat=True))
    todo = [
        (ach_entry, addenda)
        for ach_entry, addenda in first.values()
        if ach_entry.pk not in done and ach_entry.payment.status in RETURNABLE
    ]
    asked = [Return(payment_id=e.payment_id, code=a.reason_code, note=_note(a.reason_code)) for e, a in todo]
    returned = set(payments_return_many(asked))
    todo = [(ach_entry, addenda) for ach_entry, addenda in todo if ach_entry.payment_id in returned]
    autopay_off = _block_accounts(todo, result)
    records = [
        AchReturn(
            entry=ach_entry,
            inbound=inbound,
            code=addenda.reason_code,
            meaning=return_meaning(addenda.reason_code),
            account_blocked=addenda.reason_code in UNUSABLE,
        )
        for ach_entry, addenda in todo
    ]
    AchReturn.objects.bulk_create(records, batch_size=IDS_PER_STATEMENT)
    result.returned += len(records)
    result.returns += records
    tell_customers_returned(
        [
            Returned(
                payment_id=ach_entry.payment_id,
                customer_id=ach_entry.payment.customer_id,
                code=record.code,
                meaning=record.meaning,
                blocked=record.account_blocked,
                autopay_off=ach_entry.payment.bank_account_id in autopay_off,
            )
            for (ach_entry, _), record in zip(todo, records, strict=True)
        ]
    )


def _note(code: str) -> str:
    # History names no account (payments.disclosure): the payment's events are read by colleagues
    # who may not see a private account's details.
    return f"Returned by the customer's bank: {code} {return_meaning(code)}"


def _block_accounts(returned: list[tuple[AchEntry, ReturnAddenda]], result: ImportResult) -> set[int]:
    """Block, once each, the active accounts of payments returned with a code that says the account
    can't be debited again. Returns the ids of those Auto Pay used (it is off now)."""
    reasons: dict[int, str] = {}
    for ach_entry, addenda in returned:
        code = addenda.reason_code
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


def _correct(ach_entry: AchEntry, addenda: CorrectionAddenda, inbound: InboundFile, result: ImportResult) -> None:
    if AchCorrection.objects.filter(entry=ach_entry, code=addenda.change_code).exists():
        return
    account = ach_entry.payment.bank_account
    summary = "Bank account not found"
    if account is not None:
        summary = _apply(account, addenda.change_code, addenda.corrected_data)
    AchCorrection.objects.create(
        entry=ach_entry,
        inbound=inbound,
        code=addenda.change_code,
        summary=summary[:200],
    )
    result.corrected += 1


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
