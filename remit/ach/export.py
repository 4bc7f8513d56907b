"""`ach_export`: a biller's scheduled payments for one effective date become one NACHA file.

Exactly once, even across crashes and concurrent exports. The file goes into the shared file store
(``remit.files``; keys in ``ach.stored``), never only onto one machine's disk:

1. In one transaction, with the biller's ACH settings row locked (one export per biller at a time,
   across processes and machines: a row lock on PostgreSQL, the database's write lock on SQLite,
   whose transactions begin IMMEDIATE), the payments are read and locked, each written as an entry
   to a temporary file (streamed: memory does not grow with the number of payments), and recorded:
   the ``AchFile``, an ``AchEntry`` per payment, the payments moved to *sent*. The file's bytes then
   go into the store, still inside the transaction:

   - the database store (the default): at ``ach/outbound/<name>``, rows of the same transaction. The
     file exists exactly when its record does; a crash anywhere leaves both or neither.
   - a store outside the database (S3): at ``ach/partial/<biller id>/<name>``, before the commit.

2. The transaction commits. With S3, only then is the file published to ``ach/outbound/<name>`` (copied,
   its SHA-256 checked, and the partial one deleted), so nothing under ``ach/outbound/`` is ever an
   unrecorded file.

With S3, a crash before the commit leaves every payment *scheduled* and only a partial file; a crash
after the commit but before publishing leaves a recorded file under ``ach/partial/``. The next export
of that biller finishes either, under the same lock, before it writes anything
(``stored.recover_partial``): it deletes the unrecorded file and publishes the recorded one. Because
recovery holds the lock, it can never mistake a file another export is still writing for a leftover.
So each payment is in exactly one recorded file, or still scheduled — and the console lists recorded
files only. REMIT_ACH_OUTBOUND_DIR, when set, receives a copy of each file after the commit: a local
folder for an operator's own tools, never the copy Remit reads.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import string
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TextIO, cast

from django.core.files.base import File
from django.db import transaction
from django.db.models import Exists, OuterRef

from remit.ach import nacha, retry_rules
from remit.ach.models import AchEntry, AchFile, AchSettings
from remit.ach.notices import tell_new_pay_on
from remit.ach.risk_holds import hold_risky
from remit.ach.stored import (
    copy_to_outbound_dir,
    outbound_key,
    partial_key,
    publish,
    recover_partial,
    written_in_transaction,
)
from remit.ach.validating import PendingEntries, pending_entries, record_validation_entries, validation_batches
from remit.billers.models import Biller
from remit.customers.models import AccountType
from remit.files.store import StoredFileUnreachable, file_store
from remit.ledger.scheduling import payment_adjust
from remit.lib import crypto
from remit.lib.banking_days import is_banking_day, next_banking_day
from remit.lib.bulk import insert_rows
from remit.lib.errors import ActionError
from remit.payments.actions import payments_mark_sent
from remit.payments.models import (
    Allocation,
    BankAccountType,
    Payment,
    PaymentHold,
    PaymentMethod,
    PaymentStatus,
)
from remit.webhooks.emit import webhook_listeners

log = logging.getLogger(__name__)

MODIFIERS = string.ascii_uppercase + string.digits
CHUNK = 500  # payments per page; SQLite allows 999 parameters in one query (the page's invoice numbers)
DEBIT_CODE = {BankAccountType.CHECKING: 27, BankAccountType.SAVINGS: 37}
CREDIT_CODE = {BankAccountType.CHECKING: 22, BankAccountType.SAVINGS: 32}


class AchError(ActionError):
    pass


@dataclass
class ExportResult:
    file: AchFile | None
    payments: int
    moved: list[int]  # late payments given the new effective date


def next_file_date(biller: Biller, now: datetime | None = None) -> date:
    """The effective date of the next file: the next banking day after today (the biller's today)."""
    return next_banking_day(biller.local_now(now).date())


def ach_export(*, biller: Biller, effective_date: date | None = None, now: datetime | None = None) -> ExportResult:
    """Write the file of ``effective_date`` (default: the next banking day) for ``biller``. Payments
    whose Pay On date already passed unsent go in too, with this effective date, and the customer
    is told. Returns the file, or None when nothing was scheduled."""
    today = biller.local_now(now).date()
    day = effective_date or next_banking_day(today)
    if day <= today:
        raise AchError(f"{day:%Y-%m-%d} is not after today ({today:%Y-%m-%d}): an effective date can't be in the past.")
    if not is_banking_day(day):
        raise AchError(f"{day:%Y-%m-%d} is not a banking day (a weekend or a Federal Reserve holiday).")
    with transaction.atomic():
        ach = AchSettings.objects.select_for_update().filter(biller=biller).first()
        if ach is None:
            raise AchError(f"{biller.name} has no ACH settings yet: fill them in in the console first.")
        recover_partial(biller)
        at_cutoff = day == next_banking_day(today)  # the file the cut-off closes (not one written ahead)
        moved = _move_late(biller, day, today) if at_cutoff else []
        # The risk rules hold what they find before the cut-off's move, which takes those along too.
        hold_risky(biller, day, due_payments(biller, day))
        if at_cutoff:
            _move_held(biller, day)
        tell_new_pay_on(moved)  # in the export's transaction: the emails go if, and only if, it commits
        due = due_payments(biller, day)
        counts = batch_counts(due)
        pending = pending_entries(biller.pk)  # accounts to validate: micro-entries and prenotes
        if not any(counts.values()) and not pending:
            return ExportResult(file=None, payments=0, moved=moved)
        created = biller.local_now(now)
        record = _new_file(biller, day, created)
        writer = EntryStream(ach, day, due, counts, book=_Bookkeeper(record).page, validations=pending)
        digest = hashlib.sha256()
        # A temporary file (owner-only, unnamed, gone when closed) holds the bytes until the store has them.
        with tempfile.TemporaryFile() as raw:
            text = io.TextIOWrapper(raw, encoding="ascii", newline="\n")
            out = _HashingWriter(text, digest)
            totals = nacha.write_file(cast(TextIO, out), file_header(ach, record, created), writer.batches())
            text.flush()
            text.detach()
            record.size_bytes = raw.tell()
            record.sha256 = digest.hexdigest()
            _store(record, raw)
        record.entry_count = writer.sent + len(pending.rows)
        record.batch_count = totals.batch_count
        record.total_debit_cents = totals.total_debit_cents
        record.total_credit_cents = totals.total_credit_cents
        record.save()
        AchSettings.objects.filter(pk=ach.pk).update(next_trace=writer.next_trace)
        record_validation_entries(record, pending)
        _crash_point("after-write")
        transaction.on_commit(lambda: _finish(record))
    return ExportResult(file=record, payments=writer.sent, moved=moved)


def _crash_point(name: str) -> None:
    """Tests kill the export here (REMIT_ACH_CRASH_AT) to prove a crash loses nothing and doubles nothing."""
    if os.environ.get("REMIT_ACH_CRASH_AT") == name:
        os._exit(86)


def _store(record: AchFile, raw: Any) -> None:
    """The file's bytes into the store, inside the export's transaction (see the module's text)."""
    store = file_store()
    if written_in_transaction(store):
        key = outbound_key(record.filename)
    else:
        key = partial_key(record.biller_id, record.filename)
    raw.seek(0)
    saved = store.save(key, File(raw, name=record.filename))
    if saved != key:
        raise AchError(f"The file store kept {record.filename} as {saved}, not as {key}; nothing was exported.")


def _finish(record: AchFile) -> None:
    _crash_point("after-commit")
    if not written_in_transaction():
        try:
            publish(record)
        except StoredFileUnreachable as error:
            # Recorded, and readable under ach/partial/ meanwhile: the biller's next export publishes it.
            log.error("%s is recorded but not yet published: %s", record.filename, error)
            return
    copy_to_outbound_dir(record)


def _move_late(biller: Biller, day: date, today: date) -> list[int]:
    """Scheduled payments whose Pay On date is today or passed: they go in this file, dated ``day``
    (through ``payment_adjust``, the one place a scheduled payment changes)."""
    late = list(
        Payment.objects.filter(
            biller=biller, method=PaymentMethod.ACH, status=PaymentStatus.SCHEDULED, pay_on__lte=today
        )
        # An account not yet validated keeps its payments waiting; validation moves them (and says so).
        .filter(bank_account__debits_from__lte=day)
        .values_list("pk", flat=True)
    )
    for payment_id in late:
        payment_adjust(
            payment=Payment(pk=payment_id),
            actor=None,
            note="It could not be sent to the bank in time",
            pay_on=day,
        )
    return late


def _move_held(biller: Biller, day: date) -> list[int]:
    """Payments held for review and not decided by the cut-off of ``day``'s file: they stay out of it
    and move to the next banking day (see ``payments.holds``)."""
    later = next_banking_day(day)
    held = list(
        _scheduled_ach(biller)
        .filter(pay_on=day)
        .filter(Exists(PaymentHold.objects.filter(payment=OuterRef("pk"), decided_at__isnull=True)))
        .values_list("pk", flat=True)
    )
    for payment_id in held:
        payment_adjust(
            payment=Payment(pk=payment_id), actor=None, note="Held for review past the cut-off", pay_on=later
        )
    return held


def _scheduled_ach(biller: Biller) -> Any:
    return Payment.objects.filter(biller=biller, method=PaymentMethod.ACH, status=PaymentStatus.SCHEDULED)


def due_payments(biller: Biller, day: date) -> Any:
    """The file's payments: the biller's scheduled ACH payments of that day, from accounts validated
    for it (``BankAccount.debits_from``; the others wait, see ``payments.validation``), but those held
    for review. The NOT EXISTS is added only when the biller has an undecided hold at all (one small
    read on the partial index of undecided holds): most files have none and keep the query they had."""
    due = _scheduled_ach(biller).filter(pay_on=day, bank_account__debits_from__lte=day)
    if PaymentHold.objects.filter(payment__biller=biller, decided_at__isnull=True).exists():
        due = due.filter(~Exists(PaymentHold.objects.filter(payment=OuterRef("pk"), decided_at__isnull=True)))
    return due


# The file's debit batches: WEB (personal accounts) and CCD (business ones), and the retries of returned
# payments apart in batches of their own, described RETRY PYMT (NACHA.md, "Retries"; ``retrying``).
BATCHES = ("WEB", "CCD", "WEB RETRY", "CCD RETRY")


def batch_counts(due: Any) -> dict[str, int]:
    """How many of ``due`` go in each of the file's ``BATCHES``."""
    return {key: _of_batch(due, key).count() for key in BATCHES}


def _of_batch(payments: Any, key: str) -> Any:
    return _of_sec(payments, key[:3]).filter(retry_of__isnull=not key.endswith(" RETRY"))


def _of_sec(payments: Any, sec: str) -> Any:
    personal = AccountType.PERSONAL
    return (
        payments.filter(customer__account_type=personal)
        if sec == "WEB"
        else payments.exclude(customer__account_type=personal)
    )


def _new_file(biller: Biller, day: date, created: datetime) -> AchFile:
    used = AchFile.objects.filter(biller=biller, created_on=created.date()).count()
    if used >= len(MODIFIERS):
        raise AchError(f"{biller.name} already has {used} files today; the bank allows {len(MODIFIERS)}.")
    modifier = MODIFIERS[used]
    return AchFile.objects.create(
        biller=biller,
        filename=f"{biller.slug}-{created:%Y%m%d}-{modifier}-effective-{day:%Y%m%d}.ach",
        effective_date=day,
        created_at=created,
        created_on=created.date(),
        file_id_modifier=modifier,
        sha256="",
        size_bytes=0,
        entry_count=0,
        batch_count=0,
        total_debit_cents=0,
        total_credit_cents=0,
    )


def customer_individual_id(reference: str | None, customer_id: int) -> str:
    """What a customer's entries carry as their individual identification (``nacha.individual_id``):
    the customer reference, or a stable short identifier of a longer one; ``C`` and the customer's
    number when there is no reference.

    Why not refuse references longer than 15 characters where they are entered: a reference is the
    biller's own ID for the customer, often another system's (up to 64 characters), which the CSV
    imports and the API find customers by. Capping it would break that for every biller whose IDs
    are longer, and existing customers' references would have to change. A derived identifier needs
    no migration, and the customer's page shows which one the bank sees."""
    return nacha.individual_id(reference or "", fallback=f"C{customer_id}")


def immediate_origin(ach: AchSettings) -> str:
    """The file header's immediate origin: the routing number the bank asked for (its 9 digits, which
    the writer checks and writes after a blank), or the 10 characters it gave the biller."""
    return ach.immediate_origin.strip() if ach.origin_is_routing else ach.immediate_origin


def file_header(ach: AchSettings, record: AchFile, created: datetime) -> nacha.FileHeader:
    return nacha.FileHeader(
        immediate_destination=ach.odfi_routing,
        immediate_origin=immediate_origin(ach),
        destination_name=ach.destination_name,
        origin_name=ach.origin_name,
        created_at=created.replace(tzinfo=None),
        file_id_modifier=record.file_id_modifier,
        reference_code="",
    )


class _HashingWriter:
    """Hands text to the file and to the SHA-256 as it is written."""

    def __init__(self, raw: Any, digest: Any) -> None:
        self.raw, self.digest = raw, digest

    def write(self, text: str) -> int:
        self.digest.update(text.encode("ascii"))
        return int(self.raw.write(text))


# What an entry needs of its payment, read with one SELECT per page (no model instances).
ROW = (
    "pk",
    "amount_cents",
    "is_autopay",
    "customer_id",
    "customer__reference",
    "bank_account_id",
    "bank_account__account_type",
    "bank_account__routing_number",
    "bank_account__holder_name",
    "bank_account__account_number_encrypted",
)
ACCOUNTS_KEPT = 10_000  # decrypted account numbers kept per export (memory stays bounded)

# One page's payments as (payment id, trace number, amount), in the order they were written.
Page = list[tuple[int, str, int]]


class EntryStream:
    """Turns the payments into batches of entries, lazily: the payments are locked and read a page at
    a time (keyset pages in id order), so memory stays flat however many there are. ``book(sec,
    batch_number, page)`` is called with each page once its entries are built, before they are
    written (the export records them there; the benchmark's raw rate passes a no-op)."""

    def __init__(
        self,
        ach: AchSettings,
        effective_date: date,
        due: Any,
        counts: dict[str, int],
        book: Callable[[str, int, Page], None],
        validations: PendingEntries | None = None,
    ) -> None:
        self.ach, self.effective_date, self.due, self.counts, self.book = ach, effective_date, due, counts, book
        self.validations = validations
        self.next_trace = ach.next_trace
        self.sent = 0
        self.total_cents = 0  # of the debits written so far: a balanced file's offset credits it
        self._numbers: dict[int, str] = {}  # bank account id → its decrypted number

    def batches(self) -> Iterator[tuple[nacha.BatchHeader, Iterator[nacha.Entry]]]:
        """The debits, personal accounts (WEB) then business ones (CCD), each in a debits-only batch;
        then, for a balanced file, the offset credit in a batch of its own. It is a credit to the
        biller's own business account, so a CCD credits-only (220) batch, never inside the WEB batch,
        whose entries are debits its customers authorised online. It comes last: the debits are
        written by then, and their total known. Account validations (micro-entries, prenotes) come
        first, so the offset's trace follows the payments' as the returned-offset matching expects."""
        number = 0
        if self.validations:
            for batch in validation_batches(self.ach, self._header, self.validations, self._trace, 1):
                number += 1
                yield batch
        for key in BATCHES:
            if not self.counts.get(key):
                continue
            number += 1
            description = retry_rules.DESCRIPTION if key.endswith(" RETRY") else ""
            yield self._header(key[:3], 225, number, description), self._entries(key, number)
        if self.ach.balanced and self.total_cents:
            yield self._header("CCD", 220, number + 1), self._offsets()

    def _header(self, sec: str, service_class: int, number: int, description: str = "") -> nacha.BatchHeader:
        return nacha.BatchHeader(
            service_class=service_class,
            company_name=self.ach.company_name,
            company_id=self.ach.company_id,
            sec_code=sec,
            entry_description=description or self.ach.entry_description,
            effective_date=self.effective_date,
            odfi_routing=self.ach.odfi_routing,
            batch_number=number,
        )

    def _trace(self) -> str:
        if self.next_trace > 9_999_999:
            raise AchError("This biller has used every 7-digit trace sequence number.")
        trace = f"{self.ach.odfi_routing[:8]}{self.next_trace:07d}"
        self.next_trace += 1
        return trace

    def _entries(self, key: str, batch_number: int) -> Iterator[nacha.Entry]:
        sec = key[:3]
        for rows in self._pages(key):
            invoices = _invoice_numbers([row[0] for row in rows]) if sec == "CCD" else {}
            entries, page = [], []
            for pk, amount, autopay, customer_id, reference, account_id, kind, routing, holder, token in rows:
                trace = self._trace()
                entries.append(
                    nacha.Entry(
                        transaction_code=DEBIT_CODE[BankAccountType(kind)],
                        routing_number=routing,
                        account_number=self._account_number(account_id, token),
                        amount_cents=amount,
                        individual_id=customer_individual_id(reference, customer_id),
                        individual_name=holder,
                        trace_number=trace,
                        discretionary=("R " if autopay else "S ") if sec == "WEB" else "",
                        addenda=nacha.invoice_information(invoices.get(pk, ())) if sec == "CCD" else None,
                    )
                )
                page.append((pk, trace, amount))
                self.total_cents += amount
            self.book(sec, batch_number, page)
            self.sent += len(page)
            yield from entries

    def _pages(self, key: str) -> Iterator[list[tuple[Any, ...]]]:
        """The batch's payments, locked and read a page at a time in id order."""
        payments = _of_batch(self.due, key).order_by("pk").values_list(*ROW)
        # Lock the payments only (a database without row locks ignores this; SQLite serializes writers).
        payments = payments.select_for_update(of=("self",))
        last = 0
        while True:
            rows = list(payments.filter(pk__gt=last)[:CHUNK])
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def _account_number(self, account_id: int, token: str | None) -> str:
        """Decrypted once per bank account and export (many payments share an account)."""
        number = self._numbers.get(account_id)
        if number is None:
            assert token is not None  # the database refuses an ACH payment without a bank account
            if len(self._numbers) >= ACCOUNTS_KEPT:
                self._numbers.clear()
            number = self._numbers[account_id] = crypto.decrypt(token)
        return number

    def _offsets(self) -> Iterator[nacha.Entry]:
        """The credit to the biller's own settlement account that balances the file: one entry, or
        as many as a total beyond what one entry can carry ($99,999,999.99) takes."""
        account = crypto.decrypt(self.ach.settlement_account_encrypted)
        left = self.total_cents
        while left:
            amount = min(left, nacha.MAX_AMOUNT_CENTS)
            left -= amount
            yield nacha.Entry(
                transaction_code=CREDIT_CODE[BankAccountType(self.ach.settlement_account_type)],
                routing_number=self.ach.settlement_routing,
                account_number=account,
                amount_cents=amount,
                individual_id="OFFSET",
                individual_name=self.ach.company_name,
                trace_number=self._trace(),
            )


class _Bookkeeper:
    """Records each page of a file: its entries, its payments moved to *sent* (one event each) and
    their ``payment.sent`` webhooks, the biller's listeners read once for the whole file."""

    def __init__(self, record: AchFile) -> None:
        self.record = record
        self.listeners = webhook_listeners(biller_ids=[record.biller_id])
        self.note = f"Sent to the bank in {record.filename}"

    def page(self, sec: str, batch_number: int, page: Page) -> None:
        file_id, biller_id = self.record.pk, self.record.biller_id
        insert_rows(
            AchEntry,
            ("file", "payment", "biller", "batch_number", "sec_code", "trace_number", "amount_cents"),
            [(file_id, pk, biller_id, batch_number, sec, trace, amount) for pk, trace, amount in page],
        )
        payments_mark_sent([pk for pk, _, _ in page], note=self.note, listeners=self.listeners)


def _invoice_numbers(payment_ids: list[int]) -> dict[int, list[str]]:
    """The numbers of the invoices each payment pays, in the order they were allocated."""
    numbers: dict[int, list[str]] = {}
    allocations = Allocation.objects.filter(payment_id__in=payment_ids).order_by("payment_id", "pk")
    for payment_id, number in allocations.values_list("payment_id", "invoice__number"):
        numbers.setdefault(payment_id, []).append(number)
    return numbers
