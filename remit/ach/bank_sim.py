"""A bank simulator (pure): the return and notification-of-change file the ODFI would send back for
one of Remit's outbound files. Tests and the demo use it in place of a real bank.

It follows what real return files look like (NACHA rules, moov-io/ach's samples):

- The file comes from the ODFI to the originator: its immediate origin is the ODFI's routing number
  and so is its immediate destination (the file reaches the originator through its bank), both
  written as a blank and 9 digits. moov-io/ach refuses an immediate destination that is not a routing
  number with a right check digit, such as the originator's ``1`` + EIN.

- A return goes back the way the entry came, so the return entry is addressed to the original ODFI:
  its routing field (positions 4-12) is the ODFI's routing number, and its batch header's ODFI field
  (80-87) and its trace number are the returning RDFI's. The original RDFI is in the addenda 99 (28-35),
  with the reason code and the original trace number, which is what Remit matches a return by.
- Account number, amount, individual ID, name and payment type are the original entry's. A debit (or
  debit prenote) comes back as 26 (checking) / 36 (savings), a credit as 21 / 31.
- A notification of change is a ``COR`` batch whose entries have the same return/NOC transaction codes
  with amount 0 and an addenda 98 carrying the change code and the corrected data.
- Batches keep the original batch's company name, ID, SEC code and description; there is one batch per
  original batch, returning RDFI and kind (returns, then notifications of change); their effective
  date is ``today``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from remit.ach.nacha import (
    CREDIT_CODES,
    DEBIT_CODES,
    BatchHeader,
    CorrectionAddenda,
    Entry,
    FileHeader,
    NachaError,
    ReturnAddenda,
    check_routing,
    routing_check_digit,
    write_file,
)
from remit.ach.reader import AchFile, ParsedBatch, ParsedEntry, read_file

# The automated return / NOC code for each original transaction code (NACHA.md, "Transaction codes").
RETURN_TRANSACTION_CODE = {27: 26, 28: 26, 22: 21, 23: 21, 37: 36, 38: 36, 32: 31, 33: 31}


@dataclass(frozen=True)
class _Answer:
    """What the bank does with one outbound entry: return it (reason) or correct it (change)."""

    batch: ParsedBatch
    entry: ParsedEntry
    reason_code: str | None = None
    change: tuple[str, str] | None = None  # (change code, corrected data)


def returns_for(
    outbound_text: str,
    *,
    returns: dict[str, str],
    rule: Callable[[ParsedEntry], str | None] | None = None,
    corrections: dict[str, tuple[str, str]] | None = None,
    today: date,
) -> str:
    """The bank's return/NOC file for ``outbound_text``. ``returns`` maps an outbound trace number to
    an R code and ``corrections`` one to a (C code, corrected data) pair; ``rule`` is asked about every
    other entry and answers an R code or None. A file with nothing to send back has no batches."""
    outbound = read_file(outbound_text)
    corrections = corrections or {}
    _check_requests(outbound.batches, returns, corrections)
    answers = []
    for batch in outbound.batches:
        for entry in batch.entries:
            reason = returns.get(entry.trace_number)
            change = corrections.get(entry.trace_number)
            returnable = entry.transaction_code in RETURN_TRANSACTION_CODE
            if reason is None and change is None and rule is not None and returnable:
                reason = rule(entry)
            if reason is not None or change is not None:
                answers.append(_Answer(batch=batch, entry=entry, reason_code=reason, change=change))
    bank = bank_routing(outbound)
    header = FileHeader(
        immediate_destination=bank,  # to the originator, through its ODFI
        immediate_origin=bank,  # from the ODFI
        destination_name=outbound.header.origin_name,
        origin_name=outbound.header.destination_name,
        created_at=datetime.combine(today, time(0, 0)),
        file_id_modifier="A",
        reference_code="RETURNS",
    )
    out = io.StringIO()
    write_file(out, header, _batches(answers, today))
    return out.getvalue()


def bank_routing(outbound: AchFile) -> str:
    """The ODFI's routing number: the outbound file's immediate destination (a blank and 9 digits), or,
    when that is not a routing number, its first batch's ODFI identification and check digit."""
    destination = outbound.header.immediate_destination
    if destination[0] == " " and _is_routing(destination[1:]):
        return destination[1:]
    if outbound.batches:
        odfi = outbound.batches[0].header.odfi_identification
        return f"{odfi}{routing_check_digit(odfi)}"
    raise ValueError(
        f"the outbound file's immediate destination {destination!r} is not a routing number and it has no batch "
        "to take the bank's routing number from"
    )


def _is_routing(digits: str) -> bool:
    try:
        check_routing(digits)
    except NachaError:
        return False
    return True


def _check_requests(
    batches: tuple[ParsedBatch, ...], returns: Mapping[str, str], corrections: Mapping[str, object]
) -> None:
    traces = {entry.trace_number: entry for batch in batches for entry in batch.entries}
    for trace in [*returns, *corrections]:
        if trace not in traces:
            raise ValueError(f"trace number {trace} is not in the outbound file")
        if traces[trace].transaction_code not in RETURN_TRANSACTION_CODE:
            raise ValueError(f"entry {trace} (transaction code {traces[trace].transaction_code}) can't be returned")
    both = sorted(set(returns) & set(corrections))
    if both:
        raise ValueError(f"a bank returns an entry or corrects it, not both: {', '.join(both)}")


def _batches(answers: list[_Answer], today: date) -> list[tuple[BatchHeader, list[Entry]]]:
    """One batch per original batch, returning RDFI and kind, with new ascending trace numbers."""
    groups: dict[tuple[int, bool, str], list[_Answer]] = {}
    for answer in answers:
        key = (answer.batch.header.batch_number, answer.change is not None, answer.entry.routing_number)
        groups.setdefault(key, []).append(answer)
    batches, sequence = [], 0
    for number, ((_, is_correction, rdfi_routing), group) in enumerate(sorted(groups.items()), start=1):
        entries = []
        for answer in group:
            sequence += 1
            entries.append(_entry(answer, trace=f"{rdfi_routing[:8]}{sequence:07d}"))
        batches.append((_batch_header(group[0].batch, rdfi_routing, number, is_correction, entries, today), entries))
    return batches


def _batch_header(
    original: ParsedBatch, rdfi_routing: str, number: int, is_correction: bool, entries: list[Entry], today: date
) -> BatchHeader:
    codes = {entry.transaction_code for entry in entries}
    service_class = 225 if codes <= DEBIT_CODES else 220 if codes <= CREDIT_CODES else 200
    header = original.header
    return BatchHeader(
        service_class=service_class,
        company_name=header.company_name,
        company_id=header.company_id,
        sec_code="COR" if is_correction else header.sec_code,
        entry_description=header.entry_description,
        effective_date=today,
        odfi_routing=rdfi_routing,  # the returning bank originates this batch
        batch_number=number,
        descriptive_date=header.descriptive_date,
        discretionary=header.discretionary,
    )


def _entry(answer: _Answer, *, trace: str) -> Entry:
    original, odfi = answer.entry, answer.batch.header.odfi_identification
    addenda: ReturnAddenda | CorrectionAddenda
    if answer.change is not None:
        change_code, corrected_data = answer.change
        addenda = CorrectionAddenda(
            change_code=change_code,
            original_trace=original.trace_number,
            original_rdfi=original.routing_number[:8],
            corrected_data=corrected_data,
            trace=trace,
        )
    else:
        assert answer.reason_code is not None
        addenda = ReturnAddenda(
            reason_code=answer.reason_code,
            original_trace=original.trace_number,
            date_of_death=None,
            original_rdfi=original.routing_number[:8],
            information="",
            trace=trace,
        )
    return Entry(
        transaction_code=RETURN_TRANSACTION_CODE[original.transaction_code],
        routing_number=f"{odfi}{routing_check_digit(odfi)}",  # the return goes back to the ODFI
        account_number=original.account_number,
        amount_cents=0 if answer.change is not None else original.amount_cents,
        individual_id=original.individual_id,
        individual_name=original.individual_name,
        trace_number=trace,
        discretionary=original.discretionary,
        addenda=addenda,
    )
