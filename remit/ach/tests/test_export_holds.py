"""Held payments and the ACH export: an undecided hold keeps a payment out of the file and, past the
cut-off, moves it to the next banking day; an approved one goes in the next file."""

from __future__ import annotations

import pytest
from django.db import transaction

from remit.ach.export import next_file_date
from remit.ach.models import AchEntry
from remit.ach.tests.test_export import acme, export, pay, payer  # noqa: F401 (fixtures)
from remit.lib.banking_days import next_banking_day
from remit.payments.holds import payment_hold_decide, payment_hold_place
from remit.payments.models import Payment, PaymentEvent, PaymentStatus
from remit.test import make_invoice

pytestmark = pytest.mark.django_db


def hold(payment):
    with transaction.atomic():
        return payment_hold_place(payment=payment, rule_code="test_rule", reason="Far above the usual")


def test_a_held_payment_stays_out_of_the_file_and_moves_to_the_next_banking_day(acme, export):  # noqa: F811
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    held = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    free = pay(biller, user, account, [make_invoice(customer, amount_cents=2000)])
    placed = hold(held)
    day = next_file_date(biller)  # the file the cut-off closes
    Payment.objects.filter(pk__in=[held.pk, free.pk]).update(pay_on=day)
    result = export(biller=biller)
    assert result.file is not None and result.payments == 1
    assert list(AchEntry.objects.values_list("payment_id", flat=True)) == [free.pk]
    held.refresh_from_db()
    assert held.status == PaymentStatus.SCHEDULED and held.pay_on == next_banking_day(day)
    assert PaymentEvent.objects.filter(payment=held, note__startswith="Held for review past the cut-off")
    placed.refresh_from_db()
    assert placed.decided_at is None


def test_a_file_written_ahead_moves_no_held_payment(acme, export):  # noqa: F811
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    held = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    hold(held)
    ahead = next_banking_day(next_banking_day(next_file_date(biller)))
    Payment.objects.filter(pk=held.pk).update(pay_on=ahead)
    assert export(biller=biller, effective_date=ahead).file is None
    held.refresh_from_db()
    assert held.pay_on == ahead  # its own cut-off has not come yet


def test_an_approved_payment_goes_in_the_next_file(acme, export):  # noqa: F811
    biller, owner = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    placed = hold(payment)
    payment_hold_decide(hold=placed, actor=owner, decision="approved", reason="Checked with the customer")
    result = export(biller=biller, effective_date=payment.pay_on)
    assert result.payments == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SENT


def test_a_rejected_payment_never_goes(acme, export):  # noqa: F811
    biller, owner = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    payment_hold_decide(hold=hold(payment), actor=owner, decision="rejected", reason="No")
    assert export(biller=biller, effective_date=payment.pay_on).file is None
