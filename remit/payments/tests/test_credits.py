"""Credits: issuing against an invoice or as account credit, applying, the limits, a cheque above
what is owed, and Auto Pay using credit before debiting."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from remit.autopay.models import AutoPayClaim
from remit.autopay.settings import autopay_save
from remit.invoices.models import Invoice, InvoiceEvent
from remit.ledger.status import InvoiceStatus
from remit.payments.actions import overpayment_credit, payment_record_offline, payment_schedule
from remit.payments.allocation import Payable, Usable, spread_credits
from remit.payments.credits import CreditError, credit_apply, credit_available_cents, credit_issue
from remit.payments.models import Credit, CreditApplication, CreditSource, Payment, PaymentStatus
from remit.test import make_biller, make_customer, make_invoice, soonest_pay_on

pytestmark = pytest.mark.django_db


def issue(world, cents, invoice=None, reason="Damaged goods"):
    return credit_issue(
        biller=world.biller,
        customer=world.customer,
        amount_cents=cents,
        reason=reason,
        invoice=invoice,
        actor=world.owner,
    )


def test_a_credit_against_an_invoice_is_applied_at_once_and_lowers_its_balance(world):
    invoice = world.invoice(amount_cents=10000)
    credit = issue(world, 2500, invoice)
    assert credit.number == "CN-000001"
    assert (credit.applied_cents, credit.unapplied_cents, credit.source) == (2500, 0, CreditSource.ISSUED)
    invoice.refresh_from_db()
    assert (invoice.credited_cents, invoice.paid_cents, invoice.balance_cents, invoice.available_cents) == (
        2500,
        0,
        7500,
        7500,
    )
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    event = InvoiceEvent.objects.get(invoice=invoice, kind=InvoiceEvent.Kind.CREDIT_APPLIED)
    assert event.data["credit_number"] == "CN-000001" and event.actor == world.owner


def test_a_credit_of_the_whole_balance_makes_the_invoice_paid(world):
    invoice = world.invoice(amount_cents=10000)
    issue(world, 10000, invoice)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.balance_cents == 0


def test_numbers_go_on_per_biller(world):
    assert [issue(world, 100).number for _ in range(3)] == ["CN-000001", "CN-000002", "CN-000003"]
    other, _ = make_biller("Other Co.")
    assert credit_issue(
        biller=other, customer=make_customer(other), amount_cents=100, reason="Goodwill", actor=None
    ).number == ("CN-000001")


def test_unapplied_credit_is_account_credit(world):
    credit = issue(world, 4000)
    assert (credit.applied_cents, credit.unapplied_cents) == (0, 4000)
    assert credit_available_cents(world.customer.pk) == 4000


def test_a_credit_above_what_the_invoice_has_left_is_refused_at_the_amount_and_nothing_is_saved(world):
    invoice = world.invoice(amount_cents=10000)
    payment_schedule(
        payer=world.admin,
        invoice_ids=[invoice.pk],
        bank_account_id=world.bank_account().pk,
        pay_on=soonest_pay_on(world.biller),
        total_cents=6000,
    )
    with pytest.raises(CreditError) as refused:
        issue(world, 4001, invoice)
    assert refused.value.errors == {
        "amount": ["That is more than the $40.00 left on INV-00001 (not already paid, scheduled or credited)."]
    }
    assert not Credit.objects.exists() and not CreditApplication.objects.exists()
    assert issue(world, 4000, invoice).applied_cents == 4000
    with pytest.raises(CreditError, match="Nothing is left on INV-00001") as again:
        issue(world, 1, invoice)
    assert list(again.value.errors) == ["amount"]


@pytest.mark.parametrize(
    ("cents", "reason", "field"),
    [(0, "Goodwill", "amount"), (-100, "Goodwill", "amount"), (100, "   ", "reason")],
)
def test_bad_input_is_refused_at_its_field(world, cents, reason, field):
    with pytest.raises(CreditError) as refused:
        issue(world, cents, reason=reason)
    assert list(refused.value.errors) == [field]
    assert not Credit.objects.exists()


def test_an_invoice_of_another_customer_or_biller_is_refused(world):
    theirs = make_invoice(world.other_customer, amount_cents=5000)
    with pytest.raises(CreditError) as refused:
        issue(world, 100, theirs)
    assert list(refused.value.errors) == ["invoice"]
    other, _ = make_biller("Other Co.")
    foreign = make_invoice(make_customer(other), amount_cents=5000)
    with pytest.raises(CreditError):
        issue(world, 100, foreign)
    with pytest.raises(CreditError) as wrong_customer:
        credit_issue(biller=other, customer=world.customer, amount_cents=100, reason="x", actor=None)
    assert list(wrong_customer.value.errors) == ["customer"]
    assert not Credit.objects.exists()


def test_applying_account_credit_in_parts_never_above_what_is_left_of_it(world):
    credit = issue(world, 5000)
    first, second = world.invoice(amount_cents=3000), world.invoice(amount_cents=9000)
    credit_apply(credit=credit, invoice=first, amount_cents=3000, actor=world.owner)
    with pytest.raises(CreditError) as refused:
        credit_apply(credit=credit, invoice=second, amount_cents=2001, actor=world.owner)
    assert refused.value.errors == {"amount": ["That is more than the $20.00 left of credit CN-000001."]}
    credit_apply(credit=credit, invoice=second, amount_cents=2000, actor=world.owner)
    credit.refresh_from_db()
    assert (credit.applied_cents, credit.unapplied_cents) == (5000, 0)
    second.refresh_from_db()
    assert second.balance_cents == 7000


def test_credit_of_one_customer_cant_be_applied_to_another_customers_invoice(world):
    credit = issue(world, 5000)
    with pytest.raises(CreditError) as refused:
        credit_apply(credit=credit, invoice=make_invoice(world.other_customer), amount_cents=100, actor=None)
    assert list(refused.value.errors) == ["invoice"]


def test_the_database_refuses_applying_more_than_the_credit(world):
    credit = issue(world, 1000)
    invoice = world.invoice(amount_cents=5000)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditApplication.objects.create(credit=credit, invoice=invoice, amount_cents=1001, applied_by="biller")
        Credit.objects.filter(pk=credit.pk).update(applied_cents=1001)


def test_a_credited_invoice_cant_be_voided_nor_edited_below_what_is_credited(world):
    from remit.invoices.actions import InvoiceError, invoice_void

    invoice = world.invoice(amount_cents=10000)
    issue(world, 2500, invoice)
    with pytest.raises(InvoiceError, match="credit has been applied"):
        invoice_void(invoice=invoice, actor=world.owner, reason="Wrong")


# --- A cheque above what is owed ------------------------------------------------------------------


def test_an_offline_payment_above_what_is_owed_leaves_the_rest_as_account_credit(world):
    invoice = world.invoice(amount_cents=10000)
    payment = payment_record_offline(
        invoice=invoice, actor=world.owner, amount_cents=12500, method="check", received_on=date(2026, 11, 20)
    )
    assert payment.amount_cents == 12500 and payment.status == PaymentStatus.SETTLED
    assert payment.allocations.get().amount_cents == 10000
    credit = overpayment_credit(payment)
    assert credit is not None
    assert (credit.amount_cents, credit.unapplied_cents, credit.source) == (2500, 2500, CreditSource.OVERPAYMENT)
    assert "Overpayment of INV-00001" in credit.reason
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.credited_cents == 0
    assert credit_available_cents(world.customer.pk) == 2500


def test_an_offline_payment_on_a_paid_invoice_is_all_credit(world):
    invoice = world.invoice(amount_cents=1000)
    payment_record_offline(
        invoice=invoice, actor=None, amount_cents=1000, method="check", received_on=date(2026, 11, 20)
    )
    second = payment_record_offline(
        invoice=invoice, actor=None, amount_cents=700, method="wire", received_on=date(2026, 11, 21)
    )
    assert not second.allocations.exists()
    credit = overpayment_credit(second)
    assert credit is not None and credit.amount_cents == 700


# --- The pure core ----------------------------------------------------------------------------------


def test_credits_spread_oldest_credit_over_oldest_due_invoice():
    plan = spread_credits(
        [Usable(1, 300), Usable(2, 1000)],
        [Payable(10, date(2026, 12, 1), 500), Payable(11, date(2026, 11, 1), 400)],
    )
    assert plan == [(1, 11, 300), (2, 11, 100), (2, 10, 500)]
    assert spread_credits([Usable(1, 300)], [Payable(10, date(2026, 12, 1), 500)], limit_cents=120) == [(1, 10, 120)]
    assert spread_credits([Usable(1, 0)], [Payable(10, date(2026, 12, 1), 500)]) == []


# --- Auto Pay --------------------------------------------------------------------------------------


def turn_on_autopay(world):
    account = world.bank_account(number="123456789")
    autopay_save(
        customer=world.customer,
        actor=world.admin,
        enabled=True,
        max_cents=500000,
        bank_account_id=account.pk,
        days=2,
        when="before",
    )


def test_autopay_uses_account_credit_first_and_debits_only_the_rest(world):
    issue(world, 3000)
    turn_on_autopay(world)
    invoice = world.invoice(amount_cents=10000)
    claim = AutoPayClaim.objects.select_related("payment").get(invoice=invoice)
    assert claim.payment.amount_cents == 7000
    invoice.refresh_from_db()
    assert (invoice.credited_cents, invoice.pending_cents, invoice.available_cents) == (3000, 7000, 0)
    assert CreditApplication.objects.get().applied_by == "autopay"


def test_autopay_makes_no_debit_for_an_invoice_the_credit_covers(world):
    issue(world, 10000)
    turn_on_autopay(world)
    covered = world.invoice(amount_cents=6000)
    partly = world.invoice(amount_cents=6000)
    assert not AutoPayClaim.objects.filter(invoice=covered).exists()
    assert not Payment.objects.filter(allocations__invoice=covered).exists()
    assert AutoPayClaim.objects.get(invoice=partly).payment.amount_cents == 2000
    covered.refresh_from_db()
    assert covered.status == InvoiceStatus.PAID
    assert credit_available_cents(world.customer.pk) == 0


def test_new_account_credit_lowers_the_next_autopay_debit(world):
    turn_on_autopay(world)
    invoice = world.invoice(amount_cents=10000)
    claim = AutoPayClaim.objects.select_related("payment").get(invoice=invoice)
    assert claim.payment.amount_cents == 10000
    issue(world, 2500)
    claim.payment.refresh_from_db()
    assert claim.payment.amount_cents == 7500 and claim.payment.status == PaymentStatus.SCHEDULED
    invoice.refresh_from_db()
    assert (invoice.credited_cents, invoice.pending_cents) == (2500, 7500)
    issue(world, 9000)  # more than the debit: it is withdrawn, and the rest stays account credit
    claim.payment.refresh_from_db()
    assert claim.payment.status == PaymentStatus.CANCELLED
    assert credit_available_cents(world.customer.pk) == 1500
    total = Invoice.objects.filter(pk=invoice.pk).aggregate(c=Sum("credited_cents"))["c"]
    assert total == 10000


def test_a_credit_against_an_invoice_autopay_has_scheduled_lowers_its_debit(world):
    turn_on_autopay(world)
    invoice = world.invoice(amount_cents=10000)
    issue(world, 4000, invoice)
    payment = AutoPayClaim.objects.select_related("payment").get(invoice=invoice).payment
    assert payment.amount_cents == 6000
