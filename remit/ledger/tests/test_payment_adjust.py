"""``payment_adjust``: the one place a scheduled payment changes — its part of each invoice, its Pay On
date, its bank account — with one history line per change and the invoices' amounts kept right."""

from datetime import timedelta

import pytest

from remit.invoices.models import Invoice
from remit.ledger.errors import PaymentError
from remit.ledger.locks import lock_invoices
from remit.ledger.scheduling import payment_adjust
from remit.lib.banking_days import next_banking_day
from remit.payments.actions import payment_schedule
from remit.payments.models import Allocation, PaymentEvent, PaymentStatus
from remit.test import soonest_pay_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(world):
    """A payment of $500.00: $300.00 of an older invoice and $200.00 of a newer one."""
    older = world.invoice(amount_cents=30000, issue_date=world.biller.created_at.date() - timedelta(days=40))
    newer = world.invoice(amount_cents=50000)
    account = world.bank_account()
    payment = payment_schedule(
        payer=world.admin,
        invoice_ids=[older.pk, newer.pk],
        bank_account_id=account.pk,
        pay_on=soonest_pay_on(world.biller),
        total_cents=50000,
    )
    return payment, older, newer


def pending(invoice):
    return Invoice.objects.get(pk=invoice.pk).pending_cents


def last_note(payment):
    return PaymentEvent.objects.filter(payment=payment).order_by("-pk")[0].note


def test_a_part_changes_and_the_invoice_and_payment_follow(scheduled):
    payment, older, newer = scheduled
    lock_invoices([newer.pk])
    payment = payment_adjust(payment=payment, actor=None, note="Edited", invoice_cents={newer.pk: 5000})
    assert payment.amount_cents == 35000
    assert Allocation.objects.get(payment=payment, invoice=newer).amount_cents == 5000
    assert (pending(older), pending(newer)) == (30000, 5000)
    assert last_note(payment) == f"Edited: $200.00 → $50.00 for invoice {newer.number}"


def test_zero_takes_an_invoice_out(scheduled):
    payment, older, newer = scheduled
    payment = payment_adjust(payment=payment, actor=None, note="Voided", invoice_cents={older.pk: 0})
    assert list(payment.allocations.values_list("invoice_id", flat=True)) == [newer.pk]
    assert (pending(older), pending(newer), payment.amount_cents) == (0, 20000, 20000)
    assert payment.status == PaymentStatus.SCHEDULED


def test_a_payment_left_with_nothing_is_cancelled(scheduled):
    payment, older, newer = scheduled
    payment = payment_adjust(payment=payment, actor=None, note="Gone", invoice_cents={older.pk: 0, newer.pk: 0})
    assert payment.status == PaymentStatus.CANCELLED
    assert (pending(older), pending(newer)) == (0, 0)
    event = PaymentEvent.objects.filter(payment=payment).order_by("-pk")[0]
    assert (event.from_status, event.to_status, event.note) == ("scheduled", "cancelled", "Gone")


def test_pay_on_and_bank_account_changes_are_one_history_line_naming_no_account(world, scheduled):
    payment, _, _ = scheduled
    later = next_banking_day(payment.pay_on)
    other = world.bank_account(number="99887766")
    payment = payment_adjust(payment=payment, actor=None, note="Re-planned", pay_on=later, bank_account=other)
    payment.refresh_from_db()
    assert (payment.pay_on, payment.bank_account_id) == (later, other.pk)
    note = last_note(payment)
    assert note.startswith("Re-planned: Pay On ") and note.endswith("; bank account changed")
    assert "8776" not in note


def test_nothing_asked_writes_nothing(scheduled):
    payment, older, _ = scheduled
    before = PaymentEvent.objects.filter(payment=payment).count()
    payment_adjust(payment=payment, actor=None, note="Same", invoice_cents={older.pk: 30000}, pay_on=payment.pay_on)
    assert PaymentEvent.objects.filter(payment=payment).count() == before


@pytest.mark.parametrize("status", [PaymentStatus.SENT, PaymentStatus.CANCELLED])
def test_only_a_scheduled_payment_changes(scheduled, status):
    payment, older, _ = scheduled
    type(payment).objects.filter(pk=payment.pk).update(status=status)
    with pytest.raises(PaymentError, match="it can no longer change"):
        payment_adjust(payment=payment, actor=None, note="Late", invoice_cents={older.pk: 100})
    assert Allocation.objects.get(payment=payment, invoice=older).amount_cents == 30000
