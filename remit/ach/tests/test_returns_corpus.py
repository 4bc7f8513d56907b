"""The corpus of return / NOC files (``returns_corpus/``, see ``corpus.py``): every layout and code a
bank really sends, each imported into the world it answers — payments Remit really exported — and
its effect checked: the payments' statuses, the invoices' amounts, the rows recorded (returns,
corrections, dishonors, returned offsets, entries that are not ours) and the emails written to the
outbox by the import. A malformed file is refused whole and changes nothing."""

from __future__ import annotations

import email
import email.policy
import os
from dataclasses import dataclass, field

import pytest

from remit.ach.models import AchCorrection, AchDishonor, AchOffsetReturn, AchReturn, ForeignEntry, InboundFile
from remit.ach.returns import ReturnFileError, ach_import_returns
from remit.ach.tests.corpus import CORPUS, OFFSET_CENTS, OFFSET_TRACE, PAYMENTS, TRACES, build_world, write_corpus
from remit.lib import crypto
from remit.notifications.models import OutboundEmail
from remit.payments.models import BankAccountStatus, Payment, PaymentStatus

pytestmark = pytest.mark.django_db

RETURNED_P1 = ["Your payment of $250.00 to Acme Supply Co. was returned by your bank", "1 payment returned ($250.00)"]
RESTORED_P1 = [
    "Your payment of $250.00 to Acme Supply Co. went through after all",
    "Receipt R-000001: Acme Supply Co. received your payment of $250.00",  # settled after all: its receipt
    "1 dishonored or contested return in a return file from your bank",
]
CONTESTED = ["1 dishonored or contested return in a return file from your bank"]


@dataclass(frozen=True)
class Effect:
    files: tuple[str, ...]  # imported in this order; the checks are of the state after the last
    statuses: dict[str, str] = field(default_factory=dict)  # payments not named stay sent
    paid: tuple[str, ...] = ()  # invoices paid in full; the invoice of a returned payment is open
    returns: dict[str, str] = field(default_factory=dict)  # payment → its AchReturn's code
    corrections: dict[str, str] = field(default_factory=dict)
    dishonors: tuple[tuple[str, str, str], ...] = ()  # (payment, code, outcome)
    offsets: tuple[str, ...] = ()  # return codes of the offset entry
    not_ours: tuple[str, ...] = ()  # a part of each reason, in the file's order
    emails: tuple[str, ...] = ()  # the subjects of the emails the last import wrote, any order
    refused: str = ""  # a malformed file: the start of the refusal


LAYOUTS = {
    name: Effect(
        files=(f"{name}.ach",),
        statuses={"P1": "returned"},
        returns={"P1": "R01"},
        emails=tuple(RETURNED_P1),
    )
    for name in (
        "r01-plain",
        "r01-crlf",
        "r01-no-line-breaks",
        "r01-blocks-per-line",
        "r01-no-padding",
        "r01-trailing-blank-lines",
        "r01-trimmed-lines",
        "r01-lowercase",
        "r01-service-class-200",
    )
}
DISHONORED = {
    f"dishonored-{code}": Effect(
        files=("r01-plain.ach", f"dishonored-{code}.ach"),
        statuses={"P1": "settled"},
        paid=("INV-1",),
        returns={"P1": "R01"},
        dishonors=(("P1", code.upper(), "restored"),),
        emails=tuple(RESTORED_P1),
    )
    for code in ("r61", "r67", "r68", "r69", "r70")
}
CONTESTED_AFTER_RETURN = {
    f"contested-{code}": Effect(
        files=("r01-plain.ach", f"contested-{code}.ach"),
        statuses={"P1": "returned"},
        returns={"P1": "R01"},
        dishonors=(("P1", code.upper(), "unchanged"),),
        emails=tuple(CONTESTED),
    )
    for code in ("r71", "r73", "r74", "r75", "r76", "r77")
}
CASES = {
    **LAYOUTS,
    **DISHONORED,
    **CONTESTED_AFTER_RETURN,
    "contested-r72-after-a-dishonor": Effect(
        files=("r01-plain.ach", "dishonored-r68.ach", "contested-r72.ach"),
        statuses={"P1": "returned"},
        returns={"P1": "R01"},
        dishonors=(("P1", "R68", "restored"), ("P1", "R72", "returned")),
        emails=(
            RETURNED_P1[0],
            "Receipt R-000001 is withdrawn: your payment of $250.00 to Acme Supply Co. was returned",
            *CONTESTED,
        ),
    ),
    "contested-r73-without-the-return": Effect(
        files=("contested-r73.ach",),
        statuses={"P1": "returned"},
        returns={"P1": "R01"},
        dishonors=(("P1", "R73", "returned"),),
        emails=(*RETURNED_P1, *CONTESTED),
    ),
    "dishonored-r69-without-the-return": Effect(
        files=("dishonored-r69.ach",),
        dishonors=(("P1", "R69", "unchanged"),),
        emails=tuple(CONTESTED),
    ),
    "r02-blocks-the-account": Effect(
        files=("r02-blocks-the-account.ach",),
        statuses={"P3": "returned"},
        returns={"P3": "R02"},
        emails=("Your payment of $120.00 to Acme Supply Co. was returned by your bank", "1 payment returned ($120.00)"),
    ),
    "dishonored-r68-after-r02-leaves-the-account-blocked": Effect(
        files=("r02-blocks-the-account.ach", "dishonored-r68.ach"),
        statuses={"P3": "returned"},
        returns={"P3": "R02"},
        dishonors=(("P1", "R68", "unchanged"),),  # the dishonor is of P1's return, never recorded
        emails=tuple(CONTESTED),
    ),
    "offset-r03": Effect(
        files=("offset-r03.ach",),
        offsets=("R03",),
        emails=("1 returned offset in a return file from your bank",),
    ),
    "noc-c01-addenda-trace-differs": Effect(files=("noc-c01-addenda-trace-differs.ach",), corrections={"P3": "C01"}),
    "not-ours-mixed": Effect(
        files=("not-ours-mixed.ach",),
        statuses={"P2": "returned"},
        returns={"P2": "R01"},
        not_ours=(
            "no payment of yours has the trace number 021000020000417",
            "no payment of yours has the trace number 021000020000418",
            "a forward credit, not a return or notification of change",
            "a forward credit, not a return or notification of change",
        ),
        emails=("Your payment of $45.00 to Acme Supply Co. was returned by your bank", "1 payment returned ($45.00)"),
    ),
    "not-ours-same-trace-other-company": Effect(
        files=("not-ours-same-trace-other-company.ach",),
        not_ours=(f"the trace number {TRACES['P4']} is yours, but company identification 5550001234 is not",),
    ),
    "not-ours-iat-batch": Effect(
        files=("not-ours-iat-batch.ach",),
        statuses={"P4": "returned"},
        returns={"P4": "R01"},
        not_ours=("in a IAT batch: Remit sends only WEB and CCD debits",),
        emails=("Your payment of $80.00 to Acme Supply Co. was returned by your bank", "1 payment returned ($80.00)"),
    ),
    "moov-return-web": Effect(
        files=("moov-return-web.ach",),
        statuses={"P1": "returned"},
        returns={"P1": "R01"},
        offsets=("R03",),
        emails=(*RETURNED_P1, "1 returned offset in a return file from your bank"),
    ),
    "malformed-bad-hash": Effect(
        files=("malformed-bad-hash.ach",),
        refused="line 5: entry hash is 1, but the entries' RDFI identifications add up to",
    ),
    "malformed-truncated-trace": Effect(
        files=("malformed-truncated-trace.ach",),
        refused="line 3: the record is 90 characters long; every record is 94 (read with spaces added at the end:",
    ),
}


@pytest.fixture
def world(run_on_commit):
    return build_world(run_on_commit)


def test_write_corpus(world):
    """Writes the corpus files again (only with REMIT_WRITE_CORPUS=1): see corpus.py."""
    if not os.environ.get("REMIT_WRITE_CORPUS"):
        pytest.skip("set REMIT_WRITE_CORPUS=1 to write the corpus files again")
    write_corpus(world)


def test_the_world_is_the_one_the_corpus_answers(world):
    assert {name: p.ach_entry.trace_number for name, p in world.payments.items()} == TRACES
    assert {name: p.amount_cents for name, p in world.payments.items()} == {n: v[2] for n, v in PAYMENTS.items()}
    assert world.file.total_credit_cents == OFFSET_CENTS  # balanced: the offset credit
    assert OFFSET_TRACE in world.outbound and f"{OFFSET_CENTS:010d}" in world.outbound


def test_every_corpus_file_has_its_case_and_every_case_its_files():
    on_disk = {path.name for path in CORPUS.glob("*.ach")}
    used = {name for effect in CASES.values() for name in effect.files}
    assert used == on_disk


def outbox_subjects(after: int) -> list[str]:
    rows = OutboundEmail.objects.filter(pk__gt=after).order_by("pk")
    return [str(email.message_from_bytes(bytes(row.raw), policy=email.policy.default)["Subject"]) for row in rows]


def last_email_id() -> int:
    return OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_corpus_file_has_its_effect(world, case):
    effect = CASES[case]
    *before, last = effect.files
    for name in before:
        ach_import_returns(text=(CORPUS / name).read_text(), filename=name, biller=world.acme)
    emails_from = last_email_id()
    if effect.refused:
        with pytest.raises(ReturnFileError) as refused:
            ach_import_returns(text=(CORPUS / last).read_text(), filename=last, biller=world.acme)
        assert str(refused.value).startswith(effect.refused)
        assert not InboundFile.objects.exists() and last_email_id() == emails_from
    else:
        result = ach_import_returns(text=(CORPUS / last).read_text(), filename=last, biller=world.acme)
        assert not result.already_imported
    payments = {name: Payment.objects.get(pk=p.pk) for name, p in world.payments.items()}
    assert {name: p.status for name, p in payments.items()} == {
        name: effect.statuses.get(name, PaymentStatus.SENT) for name in payments
    }
    for payment in payments.values():
        invoice = payment.allocations.get().invoice
        expected = (invoice.total_cents, 0) if invoice.number in effect.paid else (0, 0)
        if payment.status == PaymentStatus.SENT:
            expected = (0, invoice.total_cents)
        assert (invoice.paid_cents, invoice.pending_cents) == expected, invoice.number
    names = {p.ach_entry.pk: name for name, p in payments.items()}
    assert {names[r.entry_id]: r.code for r in AchReturn.objects.all()} == effect.returns
    assert {names[c.entry_id]: c.code for c in AchCorrection.objects.all()} == effect.corrections
    dishonors = AchDishonor.objects.order_by("pk")
    assert tuple((names[d.entry_id], d.code, d.outcome) for d in dishonors) == effect.dishonors
    offsets = AchOffsetReturn.objects.order_by("pk")
    assert tuple(o.code for o in offsets) == effect.offsets
    assert all(
        (o.file_id, o.trace_number, o.amount_cents) == (world.file.pk, OFFSET_TRACE, OFFSET_CENTS) for o in offsets
    )
    reasons = list(ForeignEntry.objects.order_by("line").values_list("reason", flat=True))
    assert len(reasons) == len(effect.not_ours) and all(
        want in got for want, got in zip(effect.not_ours, reasons, strict=True)
    )
    assert sorted(outbox_subjects(emails_from)) == sorted(effect.emails)


def test_a_return_that_blocks_leaves_the_account_blocked_and_a_noc_changes_it(world):
    for name in ("r02-blocks-the-account.ach", "noc-c01-addenda-trace-differs.ach"):
        ach_import_returns(text=(CORPUS / name).read_text(), filename=name, biller=world.acme)
    account = world.payments["P3"].bank_account
    account.refresh_from_db()
    assert account.status == BankAccountStatus.BLOCKED
    assert crypto.decrypt(account.account_number_encrypted) == "5550009999"  # C01: the number is corrected anyway
    assert AchReturn.objects.get().account_blocked
    assert AchCorrection.objects.get().summary == "Incorrect account number: now account number ••••9999"
