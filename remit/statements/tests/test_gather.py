"""A customer's statement read from the books: which day each entry counts on, and that the closing
balance is what the invoices still ask (histories made with the real actions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from remit.invoices.actions import invoice_void
from remit.invoices.models import Invoice
from remit.payments.actions import Return, payment_record_offline, payments_return_many, payments_settle
from remit.payments.credits import credit_apply, credit_issue
from remit.payments.models import Credit, PaymentStatus
from remit.statements.core import EntryKind, StatementError
from remit.statements.gather import statement_for
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=NEW_YORK)


def settle(payment) -> None:
    with transaction.atomic():
        payments_settle([payment.pk], note="No return in time")


def give_back(payment) -> None:
    with transaction.atomic():
        payments_return_many([Return(payment_id=payment.pk, code="R01", note="Returned R01")])


def balances_owed(customer) -> int:
    """What the invoices still ask, less the customer's credit not applied to any invoice yet."""
    owed = sum(invoice.balance_cents for invoice in Invoice.objects.filter(customer=customer, voided_at__isnull=True))
    return owed - sum(credit.unapplied_cents for credit in Credit.objects.filter(customer=customer))


def test_each_entry_counts_on_its_own_day():
    biller, owner = make_biller()
    customer = make_customer(biller)
    with time_machine.travel(at(date(2026, 3, 2)), tick=False):
        first = make_invoice(customer, amount_cents=10000, issue_date=date(2026, 3, 2))
        second = make_invoice(customer, amount_cents=5000, issue_date=date(2026, 3, 2))
        third = make_invoice(customer, amount_cents=700, issue_date=date(2026, 3, 2))
        ach = ach_payment_rows(customer, [(first, 6000)], pay_on=date(2026, 3, 4), status="sent")
        scheduled = ach_payment_rows(customer, [(second, 1000)], pay_on=date(2026, 3, 20))
    with time_machine.travel(at(date(2026, 3, 9), hour=23), tick=False):  # 11 p.m. in New York: still the 9th
        settle(ach)
    with time_machine.travel(at(date(2026, 3, 12)), tick=False):
        payment_record_offline(  # received on the 10th, recorded on the 12th: counts on the 10th
            invoice=second, actor=owner, amount_cents=2000, method="check", received_on=date(2026, 3, 10)
        )
    with time_machine.travel(at(date(2026, 3, 16)), tick=False):
        give_back(ach)
        invoice_void(invoice=third, actor=owner, reason="Sent twice")

    statement = statement_for(customer, start=date(2026, 3, 1), end=date(2026, 3, 31))

    assert [
        (line.entry.on, line.entry.kind, line.entry.amount_cents, line.balance_cents) for line in statement.lines
    ] == [
        (date(2026, 3, 2), EntryKind.INVOICE, 10000, 10000),
        (date(2026, 3, 2), EntryKind.INVOICE, 5000, 15000),
        (date(2026, 3, 2), EntryKind.INVOICE, 700, 15700),
        (date(2026, 3, 9), EntryKind.PAYMENT, 6000, 9700),
        (date(2026, 3, 10), EntryKind.PAYMENT, 2000, 7700),
        (date(2026, 3, 16), EntryKind.RETURN, 6000, 13700),
        (date(2026, 3, 16), EntryKind.VOID, 700, 13000),
    ]
    assert statement.closing_cents == balances_owed(customer) == 13000
    assert [(item.pay_on, item.amount_cents) for item in statement.scheduled] == [(date(2026, 3, 20), 1000)]
    scheduled.refresh_from_db()
    assert scheduled.status == PaymentStatus.SCHEDULED
    before = statement_for(customer, start=date(2026, 3, 1), end=date(2026, 3, 9))
    assert before.closing_cents == 9700
    assert (before.aging.current, before.aging.total_cents) == (9700, 9700)


def test_credit_applied_later_moves_from_unapplied_to_the_invoice_it_pays_in_the_aging():
    biller, owner = make_biller()
    customer = make_customer(biller)
    with time_machine.travel(at(date(2026, 3, 2)), tick=False):
        old = make_invoice(customer, amount_cents=10000, issue_date=date(2026, 1, 2))  # due Feb 1
        with transaction.atomic():
            credit = credit_issue(biller=biller, customer=customer, amount_cents=3000, reason="Goodwill", actor=owner)
        check = payment_record_offline(  # $20.00 more than was owed: overpayment credit
            invoice=make_invoice(customer, amount_cents=5000, issue_date=date(2026, 3, 2)),
            actor=owner,
            amount_cents=7000,
            method="check",
            received_on=date(2026, 3, 2),
        )
    with time_machine.travel(at(date(2026, 3, 10)), tick=False), transaction.atomic():
        credit_apply(credit=credit, invoice=old, amount_cents=3000, actor=owner)
        overpaid = Credit.objects.get(payment=check)
        credit_apply(credit=overpaid, invoice=old, amount_cents=2000, actor=owner)

    before = statement_for(customer, start=date(2026, 3, 1), end=date(2026, 3, 9))
    after = statement_for(customer, start=date(2026, 3, 1), end=date(2026, 3, 31))

    # Issued credit is a line; the overpayment is inside the cheque's line; applying them is not a line.
    assert [(line.entry.kind, line.entry.amount_cents) for line in after.lines] == [
        (EntryKind.INVOICE, 5000),
        (EntryKind.PAYMENT, 7000),
        (EntryKind.CREDIT, 3000),
    ]
    assert before.closing_cents == after.closing_cents == 10000 + 5000 - 7000 - 3000 == balances_owed(customer)
    # On the 9th both credits were still the account's; by the 31st they pay the old invoice.
    assert (before.aging.days_31_60, before.aging.unapplied_cents) == (10000, -5000)
    assert (after.aging.days_31_60, after.aging.unapplied_cents) == (5000, 0)


def test_a_payment_returned_before_it_settled_has_no_line():
    biller, _ = make_biller()
    customer = make_customer(biller)
    invoice = make_invoice(customer, amount_cents=10000, issue_date=date(2026, 3, 2))
    payment = ach_payment_rows(customer, [(invoice, 10000)], pay_on=date(2026, 3, 4), status="sent")
    give_back(payment)
    statement = statement_for(customer, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert [line.entry.kind for line in statement.lines] == [EntryKind.INVOICE]
    assert statement.closing_cents == 10000


def test_another_customers_history_is_not_on_the_statement():
    biller, _ = make_biller()
    customer, other = make_customer(biller), make_customer(biller, "Initech")
    make_invoice(other, amount_cents=999, issue_date=date(2026, 3, 2))
    statement = statement_for(customer, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert statement.lines == [] and statement.closing_cents == 0


def test_the_statement_reads_a_long_history_in_a_few_queries(django_assert_max_num_queries):
    biller, owner = make_biller()
    customer = make_customer(biller)
    for day in range(1, 20):
        invoice = make_invoice(customer, amount_cents=1000 + day, issue_date=date(2026, 2, day))
        payment_record_offline(
            invoice=invoice, actor=owner, amount_cents=500, method="check", received_on=date(2026, 2, day)
        )
    with django_assert_max_num_queries(5):
        statement = statement_for(customer, start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert len(statement.lines) == 38


def test_a_bad_period_names_its_field():
    biller, _ = make_biller()
    with pytest.raises(StatementError) as refused:
        statement_for(make_customer(biller), start=date(2026, 3, 2), end=date(2026, 3, 1))
    assert refused.value.field == "to"


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["invoice", "check", "ach", "return", "void", "credit", "account", "apply", "overpay"]),
        st.integers(1, 20_000),
        st.integers(0, 3),  # which invoice or payment (modulo how many there are)
    ),
    min_size=1,
    max_size=12,
)


class TestTheBalanceIsWhatTheInvoicesAsk(HypothesisTestCase):
    """For random histories made with the real actions — invoices, cheques (some above what was owed:
    the rest becomes credit), ACH payments settled and returned, voids, credits against an invoice or
    on the account and applied later — the statement from the beginning closes on the sum of the
    invoices' balances (void ones ask nothing) less the credit not yet applied, its aging adds up to
    it, and any split of the period adds up."""

    @settings(max_examples=20, deadline=None)
    @given(actions=ACTIONS, split=st.integers(0, 40))
    def test_random_histories(self, actions, split):
        biller, owner = make_biller()
        customer = make_customer(biller)
        day = date(2026, 1, 5)
        invoices: list[Invoice] = []
        settled: list = []
        with time_machine.travel(at(date(2026, 3, 1)), tick=False):
            for step, (action, cents, pick) in enumerate(actions):
                on = day + timedelta(days=step)
                fresh = [Invoice.objects.get(pk=invoice.pk) for invoice in invoices]
                open_ = [invoice for invoice in fresh if invoice.available_cents > 0]
                if action == "invoice" or not invoices:
                    invoices.append(make_invoice(customer, amount_cents=cents, issue_date=on))
                elif action == "check" and open_:
                    invoice = open_[pick % len(open_)]
                    payment_record_offline(
                        invoice=invoice,
                        actor=owner,
                        amount_cents=min(cents, invoice.available_cents),
                        method="check",
                        received_on=on,
                    )
                elif action == "ach" and open_:
                    invoice = open_[pick % len(open_)]
                    payment = ach_payment_rows(
                        customer, [(invoice, min(cents, invoice.available_cents))], pay_on=on, status="sent"
                    )
                    settle(payment)
                    settled.append(payment)
                elif action == "return" and settled:
                    give_back(settled.pop(pick % len(settled)))
                elif action == "credit" and open_:
                    invoice = open_[pick % len(open_)]
                    with transaction.atomic():
                        credit_issue(
                            biller=biller,
                            customer=customer,
                            amount_cents=min(cents, invoice.available_cents),
                            reason="Damaged goods",
                            invoice=invoice,
                            actor=owner,
                        )
                elif action == "account":
                    with transaction.atomic():
                        credit_issue(
                            biller=biller, customer=customer, amount_cents=cents, reason="Goodwill", actor=owner
                        )
                elif action == "apply" and open_:
                    invoice = open_[pick % len(open_)]
                    credit = Credit.objects.filter(customer=customer, applied_cents__lt=F("amount_cents")).first()
                    if credit is not None:
                        with transaction.atomic():
                            credit_apply(
                                credit=credit,
                                invoice=invoice,
                                amount_cents=min(credit.unapplied_cents, invoice.available_cents),
                                actor=owner,
                            )
                elif action == "overpay" and open_:
                    invoice = open_[pick % len(open_)]
                    payment_record_offline(
                        invoice=invoice,
                        actor=owner,
                        amount_cents=invoice.available_cents + cents,
                        method="check",
                        received_on=on,
                    )
                elif action == "void":
                    unpaid = [i for i in open_ if i.paid_cents == 0 and i.pending_cents == 0 and i.credited_cents == 0]
                    if unpaid:
                        invoice_void(invoice=unpaid[pick % len(unpaid)], actor=owner, reason="Wrong customer")
        whole = statement_for(customer, start=date(2026, 1, 1), end=date(2026, 3, 1))
        assert whole.opening_cents == 0
        assert whole.closing_cents == balances_owed(customer)
        assert whole.aging.total_cents == whole.closing_cents
        middle = date(2026, 1, 1) + timedelta(days=split)
        first = statement_for(customer, start=date(2026, 1, 1), end=middle)
        second = statement_for(customer, start=middle + timedelta(days=1), end=date(2026, 3, 1))
        assert second.opening_cents == first.closing_cents
        assert second.opening_cents + sum(line.entry.signed_cents for line in second.lines) == whole.closing_cents
