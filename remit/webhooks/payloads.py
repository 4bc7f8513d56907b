"""What an event says about its object: the object as the API shows it (the same fields as
``remit.api.serializers``' ``InvoiceSerializer`` and ``PaymentSerializer``, plus ``"object"``) — ids,
integer cents, ISO dates, bank accounts only masked. Instants are in UTC. Built in a few queries per
batch, whatever the batch's size, and only for billers that have an endpoint listening. Written here
rather than with the API's serializers so that a webhook payload never depends on the API app."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import Prefetch

from remit.ledger.models import (
    Allocation,
    AutoPayClaim,
    BankAccount,
    Credit,
    CreditApplication,
    Invoice,
    Payment,
    PaymentEvent,
)

Payloads = list[tuple[int, int, dict[str, Any]]]  # (object id, biller id, payload), in id order


def instant(value: datetime | None) -> str | None:
    """An instant in UTC, ISO 8601 with a Z."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def bank_account_payload(account: BankAccount | None) -> dict[str, Any] | None:
    if account is None:
        return None
    return {
        "id": account.pk,
        "account_type": account.account_type,
        "masked_number": account.masked_number,
        "status": account.status,
    }


def invoice_payload(invoice: Invoice) -> dict[str, Any]:
    return {
        "object": "invoice",
        "id": invoice.pk,
        "number": invoice.number,
        "customer": invoice.customer_id,
        "customer_name": invoice.customer.name,
        "status": str(invoice.status),
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "terms": invoice.terms,
        "tax_rate": str(invoice.tax_rate),
        "memo": invoice.memo,
        "subtotal_cents": invoice.subtotal_cents,
        "tax_cents": invoice.tax_cents,
        "total_cents": invoice.total_cents,
        "paid_cents": invoice.paid_cents,
        "pending_cents": invoice.pending_cents,
        "credited_cents": invoice.credited_cents,
        "balance_cents": invoice.balance_cents,
        "available_cents": invoice.available_cents,
        "voided_at": instant(invoice.voided_at),
        "void_reason": invoice.void_reason,
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price_cents": line.unit_price_cents,
                "amount_cents": line.amount_cents,
            }
            for line in invoice.lines.all()
        ],
        "sends": [
            {"id": s.pk, "invoice": invoice.pk, "recipients": list(s.recipients), "sent_at": instant(s.sent_at)}
            for s in invoice.sends.all()
        ],
        "created_at": instant(invoice.created_at),
    }


def payment_payload(payment: Payment) -> dict[str, Any]:
    entry = getattr(payment, "ach_entry", None)
    return {
        "object": "payment",
        "id": payment.pk,
        "customer": payment.customer_id,
        "customer_name": payment.customer.name,
        "method": payment.method,
        "status": payment.status,
        "amount_cents": payment.amount_cents,
        "pay_on": payment.pay_on.isoformat(),
        "reference": payment.reference,
        "is_autopay": payment.is_autopay,
        "bank_account": bank_account_payload(payment.bank_account),
        "allocations": [
            {"invoice": a.invoice_id, "invoice_number": a.invoice.number, "amount_cents": a.amount_cents}
            for a in payment.allocations.all()
        ],
        "history": [
            {
                "from_status": event.from_status or None,
                "to_status": event.to_status,
                "note": event.note,
                "created_at": instant(event.created_at),
            }
            for event in payment.events.all()
        ],
        "ach_entry": (
            {
                "file": entry.file_id,
                "batch_number": entry.batch_number,
                "sec_code": entry.sec_code,
                "trace_number": entry.trace_number,
            }
            if entry is not None
            else None
        ),
        # A retry of a payment returned for insufficient funds: the chain's original; an original: its retries.
        "retry_of": payment.retry_of_id,
        "retries": [retry.pk for retry in payment.retries.all()],
        "created_at": instant(payment.created_at),
    }


def invoices(ids: Sequence[int], biller_ids: Collection[int]) -> Payloads:
    rows = (
        Invoice.objects.filter(pk__in=ids, biller_id__in=list(biller_ids))
        .select_related("customer")
        .prefetch_related("lines", "sends")  # newest send first: InvoiceSend's ordering
        .order_by("pk")
    )
    return [(invoice.pk, invoice.biller_id, invoice_payload(invoice)) for invoice in rows]


def payments(ids: Sequence[int], biller_ids: Collection[int]) -> Payloads:
    allocations = Allocation.objects.select_related("invoice").only(
        "payment_id", "invoice_id", "amount_cents", "invoice__number"
    )
    rows = (
        Payment.objects.filter(pk__in=ids, biller_id__in=list(biller_ids))
        .select_related("customer", "bank_account", "ach_entry")
        .prefetch_related(
            Prefetch("allocations", queryset=allocations.order_by("invoice_id")),
            Prefetch("events", queryset=PaymentEvent.objects.order_by("created_at", "pk")),
            Prefetch("retries", queryset=Payment.objects.only("pk", "retry_of_id").order_by("pk")),
        )
        .order_by("pk")
    )
    return [(payment.pk, payment.biller_id, payment_payload(payment)) for payment in rows]


def autopay_payments(ids: Sequence[int], biller_ids: Collection[int]) -> Payloads:
    """An Auto Pay payment, with the invoice it pays, the customer's maximum and what is left to pay
    by hand above it."""
    claims = {
        payment_id: (invoice_id, max_cents, left)
        for payment_id, invoice_id, max_cents, left in AutoPayClaim.objects.filter(payment_id__in=ids).values_list(
            "payment_id", "invoice_id", "customer__autopay__max_cents", "left_to_pay_cents"
        )
    }
    found = []
    for pk, biller_id, payload in payments(ids, biller_ids):
        if pk in claims:
            invoice_id, max_cents, left = claims[pk]
            payload["autopay"] = {"invoice_id": invoice_id, "maximum_cents": max_cents, "left_to_pay_cents": left}
        found.append((pk, biller_id, payload))
    return found


def credit_payload(credit: Credit) -> dict[str, Any]:
    return {
        "object": "credit",
        "id": credit.pk,
        "number": credit.number,
        "customer": credit.customer_id,
        "customer_name": credit.customer.name,
        "amount_cents": credit.amount_cents,
        "applied_cents": credit.applied_cents,
        "unapplied_cents": credit.unapplied_cents,
        "reason": credit.reason,
        "source": credit.source,
        "payment": credit.payment_id,
        "applications": [
            {
                "id": a.pk,
                "invoice": a.invoice_id,
                "invoice_number": a.invoice.number,
                "amount_cents": a.amount_cents,
                "applied_by": a.applied_by,
                "applied_at": instant(a.applied_at),
            }
            for a in credit.applications.all()
        ],
        "created_at": instant(credit.created_at),
    }


def _credit_rows(ids: Sequence[int], biller_ids: Collection[int]) -> dict[int, Credit]:
    applications = CreditApplication.objects.select_related("invoice").order_by("applied_at", "pk")
    return (
        Credit.objects.filter(pk__in=ids, biller_id__in=list(biller_ids))
        .select_related("customer")
        .prefetch_related(Prefetch("applications", queryset=applications))
        .in_bulk()
    )


def credits(ids: Sequence[int], biller_ids: Collection[int]) -> Payloads:
    rows = _credit_rows(ids, biller_ids)
    return [(pk, rows[pk].biller_id, credit_payload(rows[pk])) for pk in sorted(rows)]


def credit_applications(ids: Sequence[int], biller_ids: Collection[int]) -> Payloads:
    """One application: the invoice and amount, with the credit as it stands after it."""
    found = []
    applications = CreditApplication.objects.filter(pk__in=ids).select_related("invoice").order_by("pk")
    by_credit = _credit_rows([a.credit_id for a in applications], biller_ids)
    for application in applications:
        credit = by_credit.get(application.credit_id)
        if credit is None:
            continue
        payload = {
            "object": "credit_application",
            "id": application.pk,
            "invoice": application.invoice_id,
            "invoice_number": application.invoice.number,
            "amount_cents": application.amount_cents,
            "applied_by": application.applied_by,
            "applied_at": instant(application.applied_at),
            "credit": credit_payload(credit),
        }
        found.append((application.pk, credit.biller_id, payload))
    return found
