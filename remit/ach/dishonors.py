"""Dishonored and contested returns of the biller's entries (NACHA.md, "Dishonored and contested
returns"), each recorded as an ``AchDishonor`` with what Remit did and why.

**Dishonored** (R61, R67–R70): the biller's bank refused the customer's bank's return, so the original
debit stands and the money is the biller's. If Remit recorded that return (``AchReturn``; the
dishonor names it by its trace number and reason code) and the payment is still *returned*, the
payment is restored — *settled* again, its invoices paid again (``payments.restore``, which makes
room by taking back what the customer scheduled since, or says why it can't) — and the customer and
the biller are told. A dishonor of another return than the one recorded (its trace or code differ),
or of a payment that was never returned, changes nothing and says so. What the return blocked stays
blocked (see ``payments.restore``: a new authorization is needed to debit that account again).

**Contested** (R71–R77): the customer's bank stands by its return, so the return stands. A payment
that is *returned* stays so. One a dishonor restored (or whose return never reached Remit) is
returned again, with the original return's code, and the customer is told as for any return.
"""

from __future__ import annotations

from dataclasses import dataclass

from remit.ach.codes import return_meaning
from remit.ach.matching import Ours
from remit.ach.models import AchDishonor, AchReturn, InboundFile
from remit.ach.notices import Restored, Returned, tell_customers_restored, tell_customers_returned
from remit.ach.reader import ContestedAddenda, DishonoredAddenda
from remit.ach.returning import ImportResult, ToReturn, return_entries, return_note
from remit.payments.actions import RETURNABLE, Return, payments_return_many
from remit.payments.models import PaymentStatus
from remit.payments.restore import Restore, payments_restore_many


@dataclass(frozen=True)
class _Decided:
    item: Ours
    outcome: str
    summary: str
    return_code: str = ""


def apply_dishonors(items: list[Ours], inbound: InboundFile, result: ImportResult) -> None:
    """Record and act on the dishonored and contested returns of ``items`` (in the import's transaction)."""
    fresh = _fresh(items, result)
    returns = {r.entry_id: r for r in AchReturn.objects.filter(entry_id__in=sorted({i.sent.pk for i in fresh}))}
    dishonored = [i for i in fresh if isinstance(i.answer, DishonoredAddenda)]
    contested = [i for i in fresh if isinstance(i.answer, ContestedAddenda)]
    decided = _dishonor(dishonored, returns, result) + _contest(contested, returns, inbound, result)
    rows = [
        AchDishonor(
            entry=d.item.sent,
            inbound=inbound,
            kind=_kind(d.item),
            code=d.item.code,
            meaning=return_meaning(d.item.code),
            return_code=d.return_code,
            return_trace=getattr(d.item.answer, "return_trace", ""),
            outcome=d.outcome,
            summary=d.summary[:300],
        )
        for d in decided
    ]
    AchDishonor.objects.bulk_create(rows)
    result.dishonored += len(rows)
    result.dishonors += rows


def _kind(item: Ours) -> AchDishonor.Kind:
    return AchDishonor.Kind.DISHONORED if isinstance(item.answer, DishonoredAddenda) else AchDishonor.Kind.CONTESTED


def _fresh(items: list[Ours], result: ImportResult) -> list[Ours]:
    """The items not recorded before (by an earlier file, or earlier in this one): once per entry and code."""
    recorded = set(
        AchDishonor.objects.filter(entry_id__in=sorted({i.sent.pk for i in items})).values_list("entry_id", "code")
    )
    fresh = []
    for item in items:
        key = (item.sent.pk, item.code)
        if key in recorded:
            result.unchanged += 1
            continue
        recorded.add(key)
        fresh.append(item)
    return fresh


def _dishonor(items: list[Ours], returns: dict[int, AchReturn], result: ImportResult) -> list[_Decided]:
    decided: list[_Decided] = []
    asked: list[tuple[Ours, AchReturn]] = []
    for item in items:
        answer = item.answer
        assert isinstance(answer, DishonoredAddenda)
        recorded = returns.get(item.sent.pk)
        status = PaymentStatus(item.sent.payment.status)
        if recorded is None:
            why = f"No return of this payment was recorded, so nothing is undone: it stays {status.label.lower()}."
            decided.append(_Decided(item, AchDishonor.Outcome.UNCHANGED, why, answer.return_reason))
        elif not _refuses(answer, recorded):
            why = (
                f"It refuses another return ({answer.return_reason or '?'}, trace {answer.return_trace or '?'}) than "
                f"the one recorded ({recorded.code}, trace {recorded.return_trace or '?'}): nothing changed."
            )
            decided.append(_Decided(item, AchDishonor.Outcome.UNCHANGED, why, answer.return_reason))
        elif status != PaymentStatus.RETURNED:
            why = f"The payment is {status.label.lower()} already: nothing to undo."
            decided.append(_Decided(item, AchDishonor.Outcome.UNCHANGED, why, recorded.code))
        else:
            asked.append((item, recorded))
    if not asked:
        return decided
    restores = [
        Restore(
            payment_id=item.sent.payment_id,
            note=(
                f"The return ({recorded.code} {recorded.meaning}) was dishonored by the biller's bank "
                f"({item.code} {return_meaning(item.code)}): the payment stands"
            ),
            webhook={"code": item.code, "return_code": recorded.code},
        )
        for item, recorded in asked
    ]
    outcome = payments_restore_many(restores)
    told: list[Restored] = []
    for item, recorded in asked:
        payment_id = item.sent.payment_id
        if payment_id in outcome.refused:
            why = f"Not restored: {outcome.refused[payment_id]}"
            decided.append(_Decided(item, AchDishonor.Outcome.NOT_RESTORED, why, recorded.code))
            continue
        result.restored += 1
        adjusted = outcome.adjusted.get(payment_id, [])
        why = "The payment stands: settled again, its invoices paid."
        if adjusted:
            why += f" {len(adjusted)} scheduled payment(s) for the same invoices gave up their part."
        decided.append(_Decided(item, AchDishonor.Outcome.RESTORED, why, recorded.code))
        told.append(
            Restored(
                payment_id=payment_id,
                customer_id=item.sent.payment.customer_id,
                code=item.code,
                return_code=recorded.code,
                blocked=recorded.account_blocked,
                adjusted=adjusted,
            )
        )
    tell_customers_restored(told)
    return decided


def _refuses(answer: DishonoredAddenda, recorded: AchReturn) -> bool:
    """Whether the dishonor is of the return Remit recorded: by the return's trace number when both are
    known, else by its reason code when both are known, else yes (it is about this entry)."""
    if answer.return_trace and recorded.return_trace:
        return answer.return_trace == recorded.return_trace
    if answer.return_reason and recorded.code:
        return answer.return_reason == recorded.code
    return True


def _contest(
    items: list[Ours], returns: dict[int, AchReturn], inbound: InboundFile, result: ImportResult
) -> list[_Decided]:
    decided: list[_Decided] = []
    never_recorded: list[tuple[Ours, ToReturn]] = []
    again: list[tuple[Ours, AchReturn]] = []
    for item in items:
        answer = item.answer
        assert isinstance(answer, ContestedAddenda)
        recorded = returns.get(item.sent.pk)
        status = PaymentStatus(item.sent.payment.status)
        code = (recorded.code if recorded else "") or answer.return_reason or answer.reason_code
        if status not in RETURNABLE:
            why = f"The return stands: the payment stays {status.label.lower()}."
            decided.append(_Decided(item, AchDishonor.Outcome.UNCHANGED, why, code))
        elif recorded is None:
            never_recorded.append((item, ToReturn(sent=item.sent, code=code, trace=answer.return_trace)))
        else:
            again.append((item, recorded))
    returned = return_entries([asked for _, asked in never_recorded], inbound, result) if never_recorded else set()
    returned |= _return_again(again) if again else set()
    for item, asked in never_recorded:
        decided.append(_contested(item, asked.code, item.sent.payment_id in returned, "the payment is returned"))
    for item, recorded in again:
        what = "the payment, restored after the dishonor, is returned again"
        decided.append(_contested(item, recorded.code, item.sent.payment_id in returned, what))
    return decided


def _contested(item: Ours, code: str, returned: bool, what: str) -> _Decided:
    if not returned:
        why = "The return stands, but the payment changed meanwhile: nothing changed."
        return _Decided(item, AchDishonor.Outcome.UNCHANGED, why, code)
    why = f"The return stands: {what} ({code} {return_meaning(code)})."
    return _Decided(item, AchDishonor.Outcome.RETURNED, why, code)


def _return_again(items: list[tuple[Ours, AchReturn]]) -> set[int]:
    """Payments a dishonor restored whose return now stands: returned again with the recorded code.
    Their account was blocked (or not) when the return was first recorded; that is unchanged.
    Returns the ids of the payments returned."""
    asked = [Return(payment_id=i.sent.payment_id, code=r.code, note=return_note(r.code)) for i, r in items]
    returned = set(payments_return_many(asked))
    tell_customers_returned(
        [
            Returned(
                payment_id=item.sent.payment_id,
                customer_id=item.sent.payment.customer_id,
                code=recorded.code,
                meaning=recorded.meaning,
                blocked=False,
                autopay_off=False,
            )
            for item, recorded in items
            if item.sent.payment_id in returned
        ]
    )
    return returned
