"""The state machine's bulk path for callers that hold the rows' locks (``move_locked``): the same
transition table and one event per payment as ``move_many``, all or none."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from remit.ledger.errors import PaymentError
from remit.ledger.models import Payment, PaymentEvent, PaymentStatus
from remit.ledger.states import move_locked
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice, make_staff

pytestmark = pytest.mark.django_db

PAY_ON = date(2026, 12, 4)


@pytest.fixture
def payments():
    biller, _ = make_biller("Acme Supply Co.")
    customer = make_customer(biller, "Globex Corporation")
    return [
        ach_payment_rows(customer, [(make_invoice(customer, amount_cents=1000 + n), 1000 + n)], pay_on=PAY_ON)
        for n in range(3)
    ]


def test_it_moves_every_payment_and_writes_one_event_each(payments):
    actor = make_staff(payments[0].biller)
    ids = [payment.pk for payment in payments]
    with transaction.atomic():
        move_locked(ids, old=PaymentStatus.SCHEDULED, to=PaymentStatus.SENT, note="Sent in file A", actor=actor)
    assert set(Payment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {PaymentStatus.SENT}
    events = PaymentEvent.objects.filter(payment_id__in=ids).order_by("payment_id")
    assert [(e.payment_id, e.from_status, e.to_status, e.note, e.actor_id) for e in events] == [
        (pk, "scheduled", "sent", "Sent in file A", actor.pk) for pk in ids
    ]
    assert all(event.created_at is not None for event in events)


def test_a_move_the_table_does_not_allow_is_refused(payments):
    with transaction.atomic(), pytest.raises(PaymentError, match="can't become settled"):
        move_locked([payments[0].pk], old=PaymentStatus.SCHEDULED, to=PaymentStatus.SETTLED, note="")
    assert not PaymentEvent.objects.exists()


def test_a_payment_that_is_not_in_the_old_status_fails_the_whole_move(payments):
    Payment.objects.filter(pk=payments[1].pk).update(status=PaymentStatus.CANCELLED)
    with pytest.raises(PaymentError, match="no longer scheduled"), transaction.atomic():
        move_locked([p.pk for p in payments], old=PaymentStatus.SCHEDULED, to=PaymentStatus.SENT, note="")
    statuses = dict(Payment.objects.values_list("pk", "status"))
    assert statuses == {payments[0].pk: "scheduled", payments[1].pk: "cancelled", payments[2].pk: "scheduled"}
    assert not PaymentEvent.objects.exists()
