"""Which entries of a bank's file are the biller's, and which are not ("not ours").

A return file may hold more than Remit's answers: another originator's returns (a bank serving
several companies, a third-party sender), an unrelated batch of forward entries, a batch of a kind
Remit never sends (IAT, CTX). Those are listed on the import's page, not imported and not a reason
to refuse the file — the biller's own returns in it must still be applied. An entry is the biller's
when all of these hold:

1. its batch is one the reader interprets (PPD, CCD, WEB, TEL, COR) and the entry answers an
   original entry: a return (plain, dishonored or contested) or a notification of change;
2. the original entry's trace number (addenda 7-21, never the addenda's own trace) is one Remit
   sent for the biller (unique per biller for ever: ``AchEntry``);
3. the batch's company identification is one the biller has used (its ACH settings now or in their
   history): a return keeps the original batch's company ID, so another originator whose traces
   happen to look like ours (same bank, its own sequence) is not mistaken for us;
4. a return's amount is the amount Remit sent (a notification of change carries 0).

A returned **offset** is the exception to 2: the credit to the biller's settlement account that
balances a balanced file is not a payment and has no ``AchEntry``. It is recognised by what the export
does (``ach/export.py`` takes its trace from the same counter as the file's entries): a return of a
credit, with the biller's company ID, whose original trace has the file's bank prefix and lies within
(or just outside, by at most one per batch) the trace range of one of the biller's balanced files,
for the amount of one of that file's batches (or of all of them, for one offset per file). The export
does not record the offset's trace; if it ever does, that record should replace this inference.

Only one thing refuses the whole file here: an import without a biller (the command line without
``--biller``) of an entry that two billers could have sent — which biller it is, only a person can say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Max, Min, Sum

from remit.ach.models import AchEntry, AchFile, AchSettings, AchSettingsChange, ValidationEntry
from remit.ach.reader import AchFile as ParsedFile
from remit.ach.reader import Answer, CorrectionAddenda, ParsedBatchHeader, ParsedEntry, ReturnAddenda
from remit.billers.models import Biller
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.lib.errors import ActionError
from remit.lib.money import format_cents


class ReturnFileError(ActionError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.line, self.reason = line, reason


@dataclass(frozen=True)
class Ours:
    """An answer about one of the biller's entries."""

    entry: ParsedEntry
    batch: ParsedBatchHeader
    answer: Answer
    sent: AchEntry

    @property
    def code(self) -> str:
        """Its return reason or change code."""
        return self.answer.change_code if isinstance(self.answer, CorrectionAddenda) else self.answer.reason_code


@dataclass(frozen=True)
class OffsetReturned:
    """A return of the offset entry of one of the biller's balanced files."""

    entry: ParsedEntry
    batch: ParsedBatchHeader
    answer: ReturnAddenda
    file: AchFile


@dataclass(frozen=True)
class NotOurs:
    entry: ParsedEntry
    batch: ParsedBatchHeader
    reason: str

    @property
    def original_trace(self) -> str:
        answer = self.entry.answer
        return answer.original_trace if answer is not None else ""

    @property
    def code(self) -> str:
        answer = self.entry.answer
        if answer is None:
            return ""
        return answer.change_code if isinstance(answer, CorrectionAddenda) else answer.reason_code


@dataclass(frozen=True)
class ValidationAnswered:
    """A return or notification of change about one of the biller's validation entries (a prenote or
    a micro-entry, ``ach.validating``)."""

    entry: ParsedEntry
    batch: ParsedBatchHeader
    answer: Answer
    sent: ValidationEntry


@dataclass
class Sorted:
    ours: list[Ours] = field(default_factory=list)
    validations: list[ValidationAnswered] = field(default_factory=list)
    offsets: list[OffsetReturned] = field(default_factory=list)
    not_ours: list[NotOurs] = field(default_factory=list)


def sort_entries(parsed: ParsedFile, biller: Biller | None) -> Sorted:
    """Each entry of the file, as the biller's answer, a returned offset, or not ours (with why)."""
    found = Sorted()
    pairs = [(batch.header, entry) for batch in parsed.batches for entry in batch.entries]
    sent = _sent(pairs, biller)
    validation_sent = _validation_sent(pairs, biller)
    ids = _CompanyIds()
    for header, entry in pairs:
        answer = entry.answer
        if not header.interpreted:
            found.not_ours.append(
                NotOurs(entry, header, f"in a {header.sec_code} batch: Remit sends only WEB and CCD debits")
            )
        elif answer is None:
            kind = "debit" if entry.is_debit else "credit"
            found.not_ours.append(NotOurs(entry, header, f"a forward {kind}, not a return or notification of change"))
        else:
            candidates = [s for s in sent.get(answer.original_trace, []) if ids.has(s.biller_id, header.company_id)]
            validating = [
                v for v in validation_sent.get(answer.original_trace, []) if ids.has(v.biller_id, header.company_id)
            ]
            if not candidates and len(validating) == 1:
                found.validations.append(ValidationAnswered(entry, header, answer, validating[0]))
                continue
            item = _ours(entry, header, answer, candidates, sent.get(answer.original_trace, []), ids, biller)
            if isinstance(item, Ours):
                found.ours.append(item)
            elif isinstance(item, OffsetReturned):
                found.offsets.append(item)
            else:
                found.not_ours.append(item)
    return found


def _ours(
    entry: ParsedEntry,
    header: ParsedBatchHeader,
    answer: Answer,
    candidates: list[AchEntry],
    same_trace: list[AchEntry],
    ids: _CompanyIds,
    biller: Biller | None,
) -> Ours | OffsetReturned | NotOurs:
    trace = answer.original_trace
    if len(candidates) > 1:
        raise ReturnFileError(
            entry.line, f"two billers sent the trace number {trace}; import this file from the biller's console"
        )
    if not candidates:
        if same_trace:
            reason = f"the trace number {trace} is yours, but company identification {header.company_id} is not"
            return NotOurs(entry, header, reason)
        if isinstance(answer, ReturnAddenda) and not entry.is_debit:
            offset = _offset_file(header, entry, trace, ids, biller)
            if offset is not None:
                return OffsetReturned(entry, header, answer, offset)
        return NotOurs(entry, header, f"no payment of yours has the trace number {trace}")
    [sent] = candidates
    if entry.amount_cents != sent.amount_cents and entry.correction is None:
        reason = (
            f"the trace number {trace} is yours, but its amount {format_cents(entry.amount_cents)} is not the "
            f"{format_cents(sent.amount_cents)} you sent"
        )
        return NotOurs(entry, header, reason)
    return Ours(entry, header, answer, sent)


def _sent(pairs: list[tuple[ParsedBatchHeader, ParsedEntry]], biller: Biller | None) -> dict[str, list[AchEntry]]:
    """The entries Remit sent that the file answers, by trace number, in a few queries."""
    traces = sorted({a.original_trace for _, e in pairs if (a := e.answer) is not None})
    found: dict[str, list[AchEntry]] = {}
    for chunk in batches(traces, IDS_PER_STATEMENT):
        sent = AchEntry.objects.select_related("payment").filter(trace_number__in=chunk)
        if biller is not None:
            sent = sent.filter(biller=biller)
        for ach_entry in sent:
            found.setdefault(ach_entry.trace_number, []).append(ach_entry)
    return found


def _validation_sent(
    pairs: list[tuple[ParsedBatchHeader, ParsedEntry]], biller: Biller | None
) -> dict[str, list[ValidationEntry]]:
    """The validation entries (prenotes, micro-entries) the file answers, by trace number."""
    traces = sorted({a.original_trace for _, e in pairs if (a := e.answer) is not None})
    found: dict[str, list[ValidationEntry]] = {}
    for chunk in batches(traces, IDS_PER_STATEMENT):
        sent = ValidationEntry.objects.filter(trace_number__in=chunk)
        if biller is not None:
            sent = sent.filter(biller=biller)
        for entry in sent:
            found.setdefault(entry.trace_number, []).append(entry)
    return found


class _CompanyIds:
    """The company identifications each biller has used: its ACH settings' now and in their history
    (``AchSettingsChange``), read once per biller, compared without spaces and case."""

    def __init__(self) -> None:
        self._known: dict[int, set[str]] = {}

    def has(self, biller_id: int, company_id: str) -> bool:
        return _clean(company_id) in self.of(biller_id)

    def of(self, biller_id: int) -> set[str]:
        if biller_id not in self._known:
            ids = set(AchSettings.objects.filter(biller_id=biller_id).values_list("company_id", flat=True))
            for before, after in AchSettingsChange.objects.filter(biller_id=biller_id).values_list("before", "after"):
                ids.update(str(side["company_id"]) for side in (before, after) if "company_id" in side)
            self._known[biller_id] = {_clean(value) for value in ids}
        return self._known[biller_id]

    def billers(self, company_id: str) -> list[int]:
        """The billers that may have used ``company_id`` (for an import without a biller)."""
        wanted = _clean(company_id)
        now = AchSettings.objects.values_list("biller_id", "company_id")
        return sorted({biller_id for biller_id, value in now if _clean(value) == wanted} | self._former(wanted))

    def _former(self, wanted: str) -> set[int]:
        changes = AchSettingsChange.objects.filter(after__has_key="company_id").values_list("biller_id", "before")
        return {biller_id for biller_id, before in changes if _clean(str(before.get("company_id", ""))) == wanted}


def _clean(company_id: str) -> str:
    return company_id.strip().upper()


def _offset_file(
    header: ParsedBatchHeader, entry: ParsedEntry, trace: str, ids: _CompanyIds, biller: Biller | None
) -> AchFile | None:
    """The balanced file whose offset entry had ``trace`` (see the module's text), or None."""
    biller_ids = [biller.pk] if biller is not None else ids.billers(header.company_id)
    for biller_id in biller_ids:
        if not ids.has(biller_id, header.company_id):
            continue
        for file in _files_around(biller_id, trace):
            if entry.amount_cents in _offset_amounts(file):
                return file
    return None


def _files_around(biller_id: int, trace: str) -> list[AchFile]:
    """The biller's balanced files whose entries' traces surround ``trace`` (the same bank prefix):
    the file of the last entry before it and that of the first entry after it, each if ``trace`` is
    no further outside its entries' range than it has offsets (one per batch at most) — whether the
    export numbers an offset after its batch's entries, or in a batch of its own before or after."""
    prefix, sequence = trace[:8], int(trace[8:])
    mine = AchEntry.objects.filter(biller_id=biller_id, trace_number__startswith=prefix)
    nearest = [
        mine.filter(trace_number__lt=trace).order_by("-trace_number").values_list("file_id", flat=True).first(),
        mine.filter(trace_number__gt=trace).order_by("trace_number").values_list("file_id", flat=True).first(),
    ]
    found = []
    for file in AchFile.objects.filter(pk__in=[pk for pk in nearest if pk is not None], total_credit_cents__gt=0):
        span = AchEntry.objects.filter(file=file).aggregate(first=Min("trace_number"), last=Max("trace_number"))
        first, last = int(span["first"][8:]), int(span["last"][8:])
        if first - file.batch_count <= sequence <= last + file.batch_count:
            found.append(file)
    return found


def _offset_amounts(file: AchFile) -> set[int]:
    """What an offset of ``file`` may carry: one batch's debits, or the whole file's."""
    per_batch = AchEntry.objects.filter(file=file).values("batch_number").annotate(total=Sum("amount_cents"))
    return {row["total"] for row in per_batch} | {file.total_credit_cents}


def not_ours_rows(items: Iterable[NotOurs]) -> list[dict[str, object]]:
    """The ``ForeignEntry`` fields of each entry that is not the biller's."""
    return [
        {
            "line": item.entry.line,
            "batch_number": item.batch.batch_number,
            "sec_code": item.batch.sec_code,
            "company_name": item.batch.company_name[:16],
            "company_id": item.batch.company_id[:10],
            "transaction_code": item.entry.transaction_code,
            "trace_number": item.entry.trace_number,
            "original_trace": item.original_trace,
            "code": item.code,
            "amount_cents": item.entry.amount_cents,
            "reason": item.reason[:300],
        }
        for item in items
    ]
