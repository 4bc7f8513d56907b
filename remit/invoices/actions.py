"""Every change to an invoice: create (one or many), edit, send, void.

Each action runs in one transaction, appends an ``InvoiceEvent`` and queues its emails through the
outbox. Views, the importer, the API and background jobs call these; none repeats their rules.
``api_key_id``: the API key that asked (the API passes it; ``actor`` is then None), kept in the event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.invoices.hooks import invoices_changed
from remit.invoices.links import pay_url
from remit.invoices.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceSend
from remit.invoices.numbering import NUMBER_PATTERN, NUMBER_RULE, take_numbers
from remit.invoices.totals import Line, Totals, TotalsError, compute_totals, due_date_for
from remit.ledger.claims import claim_make_room, claim_release_invoice
from remit.ledger.scheduling import release_invoice
from remit.lib.bulk import batches, insert_rows, require_ids
from remit.lib.errors import ActionError
from remit.lib.money import format_cents
from remit.notifications.actions import email_send
from remit.users.models import User
from remit.webhooks.emit import webhook_listeners, webhooks_emit
from remit.webhooks.models import EventType

BATCH = 1_000  # invoices per INSERT and per IN (…): far below every database's parameter limit
NUMBERS_PER_STATEMENT = 10_000  # numbers per IN (…) or VALUES list: within SQLite's 32,766 parameters


class InvoiceError(ActionError):
    """The rules refuse the request. ``errors`` maps form fields (or "" for the whole form) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors=errors)

    @classmethod
    def single(cls, message: str, field: str = "") -> InvoiceError:
        return cls({field: [message]})


@dataclass
class InvoiceDraft:
    """What a person (or an import row group) asks for; ``invoice_check`` turns it into a valid invoice."""

    customer: Customer
    issue_date: date
    lines: list[Line]
    terms: str = "net_30"
    due_date: date | None = None  # required when terms == "custom"
    tax_rate: Decimal = Decimal(0)
    memo: str = ""
    number: str = ""  # empty: the next number of the biller's sequence
    file_line: int | None = None  # imported: the line of the file it starts on, kept in its event
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def invoice_check(biller: Biller, draft: InvoiceDraft) -> tuple[date, Totals | None]:
    """Apply every shape rule; collect errors on the draft. Returns (due date, totals)."""
    if draft.customer.biller_id != biller.pk:
        draft.add_error("customer", "Choose one of your customers.")
    elif draft.customer.is_archived:
        draft.add_error("customer", f"{draft.customer.name} is archived. Restore the customer first.")
    due = draft.due_date
    if draft.terms != "custom":
        try:
            due = due_date_for(draft.issue_date, draft.terms)
        except TotalsError as error:
            draft.add_error("terms", str(error))
            due = draft.issue_date  # the terms are the problem: no second error about the due date
    if due is None:
        draft.add_error("due_date", "Enter the due date, or choose payment terms.")
        due = draft.issue_date
    elif due < draft.issue_date:
        draft.add_error("due_date", "The due date is before the issue date.")
    if draft.number and not NUMBER_PATTERN.fullmatch(draft.number):
        draft.add_error("number", NUMBER_RULE)
    if len(draft.memo) > 2000:
        draft.add_error("memo", "The memo is longer than 2,000 characters.")
    for position, line in enumerate(draft.lines, start=1):
        if not line.description.strip():
            draft.add_error("lines", f"Line {position}: enter a description.")
        if len(line.description) > 500:
            draft.add_error("lines", f"Line {position}: the description is longer than 500 characters.")
    totals = None
    try:
        totals = compute_totals(draft.lines, draft.tax_rate)
    except TotalsError as error:
        draft.add_error("lines" if "line" in str(error) else "tax_rate", str(error))
    return due, totals


def _write_lines(invoice: Invoice, lines: Sequence[Line], totals: Totals) -> None:
    InvoiceLine.objects.bulk_create(_lines(invoice, lines, totals))


def _lines(invoice: Invoice, lines: Sequence[Line], totals: Totals) -> Iterator[InvoiceLine]:
    return (
        InvoiceLine(
            invoice=invoice,
            position=position,
            description=line.description.strip(),
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
            amount_cents=amount,
        )
        for position, (line, amount) in enumerate(zip(lines, totals.line_amounts, strict=True), start=1)
    )


def invoice_create(
    *, biller: Biller, actor: User | None, draft: InvoiceDraft, api_key_id: int | None = None
) -> Invoice:
    """One invoice (the console's form, the API): ``invoices_create`` with one draft, returned with
    its lines (``with_lines``)."""
    return invoices_create(biller=biller, actor=actor, drafts=[draft], api_key_id=api_key_id, with_lines=True)[0]


@transaction.atomic
def invoices_create(
    *,
    biller: Biller,
    actor: User | None,
    drafts: Sequence[InvoiceDraft],
    imported: bool = False,
    written: Callable[[Sequence[InvoiceDraft]], None] | None = None,
    api_key_id: int | None = None,
    with_lines: bool = False,
) -> list[Invoice]:
    """Create invoices, all or none: their lines, an event each, ``invoice.created`` and Auto Pay's
    follow-up. Every draft is checked first and collects its own errors; if any is refused,
    ``InvoiceError`` is raised with all of them and nothing is written.

    Drafts without a number get the next numbers of the biller's sequence, in their order, taken
    last (numbering.py explains why). ``imported``: the drafts come from a file (the events say so
    and record ``draft.file_line``). ``written(drafts)`` is called after each batch is inserted,
    for a progress bar.

    The invoices returned are as stored (numbers, and amounts again if Auto Pay scheduled a payment).
    ``with_lines``: each also keeps its lines, and its sends (none yet), so that showing it reads
    nothing back (the API answers with the whole invoice); an import leaves them to be collected.
    """
    checked = _check_drafts(biller, drafts)
    now = timezone.now()
    invoices: list[Invoice] = []
    try:
        for batch in batches(checked, BATCH):
            invoices += _insert(biller, actor, batch, now, imported, api_key_id, with_lines)
            if written is not None:
                written([draft for draft, _, _ in batch])
        listeners = webhook_listeners(biller_ids=[biller.pk])  # read before the counter is locked
        unnumbered = [invoice for invoice, (draft, _, _) in zip(invoices, checked, strict=True) if not draft.number]
        # The numbers come last: the counter row stays locked from here to the commit only. The
        # webhooks (their payloads) and Auto Pay (its webhooks) need the numbers, so they follow.
        if unnumbered:
            _number(biller, unnumbered)
    except IntegrityError:
        # Another transaction saved one of these numbers after they were checked. No savepoint is
        # needed: raising out of this atomic block rolls everything back.
        numbers = ", ".join(draft.number for draft, _, _ in checked if draft.number)
        message = f"Invoice number {numbers} is already used." if numbers else "Numbering failed; try again."
        raise InvoiceError.single(message, "number") from None
    webhooks_emit(type=EventType.INVOICE_CREATED, ids=[invoice.pk for invoice in invoices], listeners=listeners)
    if _autopay_follows([invoice.pk for invoice in invoices]):
        _read_amounts(invoices)
    return invoices


Checked = tuple[InvoiceDraft, date, Totals]


def _check_drafts(biller: Biller, drafts: Sequence[InvoiceDraft]) -> list[Checked]:
    """Every rule of every draft, errors on the draft; raises InvoiceError if any draft has one."""
    checked: list[Checked] = []
    for draft in drafts:
        due, totals = invoice_check(biller, draft)
        if totals is not None:
            checked.append((draft, due, totals))
    seen: set[str] = set()
    for draft in drafts:
        if draft.number in seen:
            draft.add_error("number", f"Invoice number {draft.number} is used twice.")
        elif draft.number:
            seen.add(draft.number)
    taken = numbers_taken(biller, sorted(seen))
    for draft in drafts:
        if draft.number in taken:
            draft.add_error("number", f"Invoice number {draft.number} is already used.")
    refused = [draft for draft in drafts if draft.errors]
    if refused:
        errors: dict[str, list[str]] = {}
        for draft in refused:
            for name, messages in draft.errors.items():
                errors.setdefault(name, []).extend(messages)
        raise InvoiceError(errors)
    return checked


def numbers_taken(biller: Biller, numbers: Sequence[str]) -> set[str]:
    """Which of ``numbers`` the biller's invoices already use (the draft checks, the CSV import's)."""
    taken: set[str] = set()
    for batch in batches(numbers, NUMBERS_PER_STATEMENT):
        taken.update(Invoice.objects.filter(biller=biller, number__in=batch).values_list("number", flat=True))
    return taken


def _insert(
    biller: Biller,
    actor: User | None,
    batch: Sequence[Checked],
    now: datetime,
    imported: bool,
    api_key_id: int | None,
    with_lines: bool,
) -> list[Invoice]:
    invoices = [
        Invoice(
            biller=biller,
            customer=draft.customer,
            # Unique and never a real number ("~" is not allowed in one); numbered before the commit.
            number=draft.number or f"~{uuid.uuid4().hex}",
            issue_date=draft.issue_date,
            due_date=due,
            terms=draft.terms,
            memo=draft.memo.strip(),
            tax_rate=draft.tax_rate,
            subtotal_cents=totals.subtotal_cents,
            tax_cents=totals.tax_cents,
            total_cents=totals.total_cents,
            created_by=actor,
            created_at=now,
        )
        for draft, due, totals in batch
    ]
    Invoice.objects.bulk_create(invoices)
    require_ids(invoices)  # the lines and events point at them
    lines = [
        list(_lines(invoice, draft.lines, totals)) for invoice, (draft, _, totals) in zip(invoices, batch, strict=True)
    ]
    # insert_rows, not bulk_create: nothing needs their ids, and preparing a model per row for the
    # INSERT cost more than the INSERT (the API's create is a benchmark, an import writes thousands).
    insert_rows(
        InvoiceLine,
        ("invoice", "position", "description", "quantity", "unit_price_cents", "amount_cents"),
        [
            (line.invoice_id, line.position, line.description, line.quantity, line.unit_price_cents, line.amount_cents)
            for of_one in lines
            for line in of_one
        ],
    )
    if with_lines:
        for invoice, of_one in zip(invoices, lines, strict=True):
            # What prefetch_related("lines", "sends") would have read: Django's own cache of them.
            invoice._prefetched_objects_cache = {"lines": of_one, "sends": []}  # type: ignore[attr-defined]
    kind = InvoiceEvent.Kind.IMPORTED if imported else InvoiceEvent.Kind.CREATED
    insert_rows(
        InvoiceEvent,
        ("invoice", "actor", "api_key", "kind", "data", "created_at"),
        [
            (invoice.pk, actor.pk if actor else None, api_key_id, kind.value, _event_data(draft, totals), now)
            for invoice, (draft, _, totals) in zip(invoices, batch, strict=True)
        ],
    )
    return invoices


def _event_data(draft: InvoiceDraft, totals: Totals) -> dict[str, int]:
    if draft.file_line is None:
        return {"total_cents": totals.total_cents}
    return {"total_cents": totals.total_cents, "line": draft.file_line}


def _number(biller: Biller, invoices: Sequence[Invoice]) -> None:
    for invoice, number in zip(invoices, take_numbers(biller, len(invoices)), strict=True):
        invoice.number = number
    # One UPDATE … FROM (VALUES …) per 10,000 invoices (PostgreSQL, SQLite ≥ 3.33): bulk_update's
    # CASE would need one statement per 1,000 and compare every row with every branch.
    for chunk in batches(invoices, NUMBERS_PER_STATEMENT):
        values = ", ".join(["(%s, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE invoices_invoice SET number = v.column2 FROM (VALUES {values}) AS v "  # noqa: S608
                "WHERE invoices_invoice.id = v.column1",
                [value for invoice in chunk for value in (invoice.pk, invoice.number)],
            )


def _read_amounts(invoices: Sequence[Invoice]) -> None:
    """Auto Pay scheduled payments for some of these invoices: their ``pending_cents`` moved."""
    by_id = {invoice.pk: invoice for invoice in invoices}
    for batch in batches(list(by_id), BATCH):
        for pk, paid, pending in Invoice.objects.filter(pk__in=batch).values_list("pk", "paid_cents", "pending_cents"):
            by_id[pk].paid_cents, by_id[pk].pending_cents = paid, pending


def _autopay_follows(invoice_ids: Sequence[int]) -> bool:
    """Auto Pay schedules, re-plans or withdraws its payments for these invoices, in this transaction
    (the ``invoices_changed`` hook: Auto Pay sits above invoices). Whether it changed any."""
    return invoices_changed(invoice_ids)


@transaction.atomic
def invoice_update(*, invoice: Invoice, actor: User | None, draft: InvoiceDraft) -> Invoice:
    """Edit an invoice. Its total may not fall below what is already paid or on its way."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_void:
        raise InvoiceError.single("A void invoice can't be edited.")
    due, totals = invoice_check(invoice.biller, draft)
    number = draft.number or invoice.number
    if number != invoice.number and number in numbers_taken(invoice.biller, [number]):
        draft.add_error("number", f"Invoice number {number} is already used.")
    if totals is not None and draft.customer is not None and draft.customer.pk != invoice.customer_id:
        _release_for_new_customer(invoice, actor, draft)
    committed = invoice.paid_cents + invoice.pending_cents + invoice.credited_cents
    if totals is not None and totals.total_cents < committed:
        committed -= _autopay_make_room(invoice, committed - totals.total_cents, actor)
    if totals is not None and totals.total_cents < committed:
        draft.add_error(
            "lines",
            f"{format_cents(committed)} of this invoice is already paid, scheduled or credited; "
            "the total can't be less.",
        )
    if draft.errors or totals is None:
        raise InvoiceError(draft.errors)
    before = {"total_cents": invoice.total_cents, "due_date": invoice.due_date.isoformat(), "number": invoice.number}
    invoice.customer, invoice.number, invoice.issue_date, invoice.due_date = (
        draft.customer,
        number,
        draft.issue_date,
        due,
    )
    invoice.terms, invoice.memo, invoice.tax_rate = draft.terms, draft.memo.strip(), draft.tax_rate
    invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents = (
        totals.subtotal_cents,
        totals.tax_cents,
        totals.total_cents,
    )
    invoice.save()
    invoice.lines.all().delete()
    _write_lines(invoice, draft.lines, totals)
    after = {"total_cents": invoice.total_cents, "due_date": invoice.due_date.isoformat(), "number": invoice.number}
    InvoiceEvent.objects.create(
        invoice=invoice, actor=actor, kind=InvoiceEvent.Kind.UPDATED, data={"before": before, "after": after}
    )
    _autopay_follows([invoice.pk])
    return invoice


def _release_for_new_customer(invoice: Invoice, actor: User | None, draft: InvoiceDraft) -> None:
    """An invoice moves to another customer only while nobody but Auto Pay is paying it; Auto Pay's
    scheduled payment is withdrawn (the new customer's Auto Pay may pay it)."""
    claim_release_invoice(invoice=invoice, reason="The invoice moved to another customer")
    invoice.refresh_from_db()
    if invoice.paid_cents + invoice.pending_cents + invoice.credited_cents > 0:
        draft.add_error(
            "customer",
            f"{format_cents(invoice.paid_cents + invoice.pending_cents + invoice.credited_cents)} of this invoice "
            "is paid, scheduled or credited by "
            f"{invoice.customer.name}; it can't move to another customer.",
        )


def _autopay_make_room(invoice: Invoice, cents: int, actor: User | None) -> int:
    freed = claim_make_room(invoice=invoice, cents=cents, actor=actor, reason=f"Invoice {invoice.number} was edited")
    if freed:
        invoice.refresh_from_db()
    return freed


@transaction.atomic
def invoice_send(*, invoice: Invoice, actor: User | None, api_key_id: int | None = None) -> InvoiceSend:
    """Email the invoice (with its PDF and the Pay Invoice Electronically link) to every billing address."""
    from remit.invoices.pdf import invoice_pdf_bytes

    invoice = Invoice.objects.select_related("biller", "customer").get(pk=invoice.pk)
    if invoice.is_void:
        raise InvoiceError.single("This invoice is void; it can't be sent.")
    recipients = list(invoice.customer.billing_emails)
    if not recipients:
        raise InvoiceError.single(
            f"{invoice.customer.name} has no billing email address. Add one to the customer first."
        )
    resend = invoice.sends.exists()
    email = email_send(
        to=recipients,
        template="invoice",
        biller=invoice.biller,
        context={
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "customer": invoice.customer,
            "pay_url": pay_url(invoice),
            "resend": resend,
            "today": timezone.localdate(),
        },
        attachments=[(f"{invoice.number}.pdf", invoice_pdf_bytes(invoice), "application/pdf")],
    )
    send = InvoiceSend.objects.create(invoice=invoice, recipients=recipients, email=email, sent_by=actor)
    InvoiceEvent.objects.create(
        invoice=invoice,
        actor=actor,
        api_key_id=api_key_id,
        kind=InvoiceEvent.Kind.SENT,
        data={"to": recipients, "resend": resend},
    )
    return send


@transaction.atomic
def invoice_void(*, invoice: Invoice, actor: User | None, reason: str, api_key_id: int | None = None) -> Invoice:
    """Void an invoice: cancel what is scheduled for it and not yet sent to the bank, tell the customer."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvoiceError.single("Enter the reason for voiding; the customer will see it.", "reason")
    invoice = Invoice.objects.select_for_update().select_related("biller", "customer").get(pk=invoice.pk)
    if invoice.is_void:
        raise InvoiceError.single("This invoice is already void.")
    if invoice.paid_cents > 0:
        raise InvoiceError.single(
            f"{format_cents(invoice.paid_cents)} has already been paid on this invoice, so it can't be voided. "
            "Refund the customer or edit the invoice instead."
        )
    if invoice.credited_cents > 0:
        raise InvoiceError.single(
            f"{format_cents(invoice.credited_cents)} of credit has been applied to this invoice, so it can't be "
            "voided. Edit the invoice instead."
        )
    released = release_invoice(
        invoice=invoice, actor=actor, reason=f"Invoice {invoice.number} was voided", api_key_id=api_key_id
    )
    if invoice.pending_cents - released > 0:
        raise InvoiceError.single(
            "A payment for this invoice is already on its way to the bank; wait until it settles."
        )
    Invoice.objects.filter(pk=invoice.pk).update(voided_at=timezone.now(), void_reason=reason[:500])
    invoice.refresh_from_db()
    InvoiceEvent.objects.create(
        invoice=invoice, actor=actor, api_key_id=api_key_id, kind=InvoiceEvent.Kind.VOIDED, data={"reason": reason}
    )
    if invoice.customer.billing_emails:
        email_send(
            to=list(invoice.customer.billing_emails),
            template="invoice_voided",
            biller=invoice.biller,
            context={"invoice": invoice, "customer": invoice.customer, "reason": reason, "released_cents": released},
        )
    return invoice
