"""What the bank sends back: returns (type 99 addenda) and notifications of change (COR, type 98) —
``ach_import_returns``, the one import path (the console's upload, the command line, and the
automatic pick-up from the bank all call it).

1. **Read** (``reader.read_file``): a malformed file is refused whole, with its line and the problem,
   and nothing changes. Every layout banks really send is read (see the reader).
2. **Sort** (``matching.sort_entries``): each entry is the biller's answer about one of its payments,
   a returned offset of one of its balanced files, or "not ours" (another originator's return, a
   forward entry, a batch Remit never sends) — listed with why, not a reason to refuse the file.
3. **Apply**, in one transaction: plain returns return their payments (``returning``), notifications
   of change update the bank account (``corrections``), dishonored returns restore their payments and
   contested ones make the return stand (``dishonors``), returned offsets are recorded against their
   file, and the entries that are not ours are kept for the import's page. The customers and the
   biller are told in the same transaction (emails through the outbox). The file's bytes are kept
   in the shared file store (``ach/inbound/<sha256>-<filename>``, ``InboundFile.stored_as``).

Importing the same file twice changes nothing the second time (the SHA-256 of its records is recorded,
so the same file framed otherwise is the same file), and each answer acts once whatever the file: a
payment is returned once, a correction, a dishonor and an offset return are recorded once.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from remit.ach.codes import return_meaning
from remit.ach.corrections import correct, correct_validation
from remit.ach.dishonors import apply_dishonors
from remit.ach.matching import OffsetReturned, Ours, ReturnFileError, Sorted, not_ours_rows, sort_entries
from remit.ach.models import AchOffsetReturn, ForeignEntry, InboundFile
from remit.ach.notices import tell_biller_exceptions, tell_biller_returned
from remit.ach.reader import ContestedAddenda, CorrectionAddenda, DishonoredAddenda, NachaFormatError, read_file
from remit.ach.returning import ImportResult, ToReturn, return_entries
from remit.ach.stored import inbound_key
from remit.ach.validating import validation_entry_returned
from remit.billers.models import Biller
from remit.files.store import file_store
from remit.users.models import User

__all__ = ["ImportResult", "ReturnFileError", "ach_import_returns"]


def ach_import_returns(
    *, text: str, filename: str, biller: Biller | None = None, actor: User | None = None
) -> ImportResult:
    """Import a return/NOC file the bank sent (see the module's text). ``biller``: whose file it is
    (the console's, the pick-up's); None (the command line without ``--biller``) matches every
    biller's entries. Raises ``ReturnFileError`` for a malformed file; returns what it did (for a file
    imported before: ``already_imported``, and ``inbound`` is that earlier import)."""
    try:
        parsed = read_file(text)
    except NachaFormatError as error:
        raise ReturnFileError(error.line, error.reason) from None
    sha = parsed.records_sha256  # the records, not the bytes: framing doesn't make another file
    earlier = InboundFile.objects.filter(sha256=sha).first()
    if earlier is not None:
        return ImportResult(inbound=earlier, already_imported=True)
    found = sort_entries(parsed, biller)
    try:
        with transaction.atomic():
            # Its bytes into the shared file store, in the import's transaction (with the database store;
            # with S3, a rolled-back import leaves a copy that the same file's next import overwrites).
            key = inbound_key(sha, filename)
            file_store().save(key, ContentFile(text.encode("ascii")))
            inbound = InboundFile.objects.create(
                sha256=sha, filename=filename[:200], stored_as=key, biller=biller, imported_by=actor
            )
            result = ImportResult(inbound=inbound)
            _apply(found, inbound, result)
            InboundFile.objects.filter(pk=inbound.pk).update(
                return_count=result.returned,
                correction_count=result.corrected,
                dishonor_count=result.dishonored,
                offset_return_count=result.offset_returns,
                not_ours_count=result.not_ours,
                unchanged_count=result.unchanged,
            )
            tell_biller_returned(result.returns)
            tell_biller_exceptions(inbound=inbound, dishonors=result.dishonors, offsets=result.offsets)
    except IntegrityError:
        earlier = InboundFile.objects.filter(sha256=sha).first()
        if earlier is not None:  # the same file, imported at the same moment
            return ImportResult(inbound=earlier, already_imported=True)
        raise
    return result


def _apply(found: Sorted, inbound: InboundFile, result: ImportResult) -> None:
    returns = [item for item in found.ours if _is_plain_return(item)]
    return_entries(
        [ToReturn(sent=item.sent, code=item.code, trace=item.entry.trace_number) for item in returns], inbound, result
    )
    for item in found.ours:
        if isinstance(item.answer, CorrectionAddenda):
            correct(item.sent, item.answer, inbound, result)
    apply_dishonors(
        [item for item in found.ours if isinstance(item.answer, DishonoredAddenda | ContestedAddenda)], inbound, result
    )
    _record_offsets(found.offsets, inbound, result)
    _answer_validations(found, result)
    ForeignEntry.objects.bulk_create([ForeignEntry(inbound=inbound, **row) for row in not_ours_rows(found.not_ours)])
    result.not_ours += len(found.not_ours)


def _answer_validations(found: Sorted, result: ImportResult) -> None:
    """Returns block the account whose prenote or micro-entry came back; corrections fix it."""
    for item in found.validations:
        if isinstance(item.answer, CorrectionAddenda):
            correct_validation(item.sent, item.answer, result)
        elif isinstance(item.answer, DishonoredAddenda | ContestedAddenda) or item.sent.answer_code:
            result.unchanged += 1  # answered before (Remit never dishonors a validation entry's return)
        else:
            result.validation_answers += 1
            if validation_entry_returned(item.sent, code=item.answer.reason_code):
                result.blocked_accounts += 1


def _is_plain_return(item: Ours) -> bool:
    return not isinstance(item.answer, CorrectionAddenda | DishonoredAddenda | ContestedAddenda)


def _record_offsets(items: list[OffsetReturned], inbound: InboundFile, result: ImportResult) -> None:
    """Each returned offset once per file and trace: nothing else changes (no payment is involved),
    the biller is told and sees it on the file's line and the import's page."""
    recorded = set(
        AchOffsetReturn.objects.filter(file_id__in=sorted({i.file.pk for i in items})).values_list(
            "file_id", "trace_number"
        )
    )
    rows = []
    for item in items:
        key = (item.file.pk, item.answer.original_trace)
        if key in recorded:
            result.unchanged += 1
            continue
        recorded.add(key)
        rows.append(
            AchOffsetReturn(
                file=item.file,
                inbound=inbound,
                trace_number=item.answer.original_trace,
                code=item.answer.reason_code,
                meaning=return_meaning(item.answer.reason_code),
                amount_cents=item.entry.amount_cents,
            )
        )
    AchOffsetReturn.objects.bulk_create(rows)
    result.offset_returns += len(rows)
    result.offsets += rows
