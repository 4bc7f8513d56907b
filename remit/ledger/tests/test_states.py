"""The payment state machine: ``Payment.TRANSITIONS`` is the only list of moves, ``move``,
``move_many`` and ``move_locked`` the only writers of a payment's status, each move conditional and
recorded."""

import itertools

import pytest
from django.db import transaction

from remit.ledger.errors import PaymentError
from remit.ledger.models import Payment, PaymentEvent, PaymentStatus
from remit.ledger.states import move, move_locked, move_many
from remit.test import ach_payment_rows, soonest_pay_on

pytestmark = pytest.mark.django_db

PAIRS = list(itertools.product(PaymentStatus, PaymentStatus))


def a_payment(world, status):
    invoice = world.invoice(amount_cents=10000)
    return ach_payment_rows(world.customer, [(invoice, 10000)], pay_on=soonest_pay_on(world.biller), status=status)


@pytest.mark.parametrize(("old", "to"), PAIRS)
def test_move_allows_exactly_the_transitions_of_the_table(world, old, to):
    payment = a_payment(world, old)
    if to in Payment.TRANSITIONS[old]:
        move(payment, to, actor=world.owner, note="why")
        assert Payment.objects.get(pk=payment.pk).status == to
        event = PaymentEvent.objects.get(payment=payment)
        assert (event.from_status, event.to_status, event.note, event.actor) == (old, to, "why", world.owner)
    else:
        with pytest.raises(PaymentError, match="can't become"):
            move(payment, to, actor=None)
        assert Payment.objects.get(pk=payment.pk).status == old
        assert not PaymentEvent.objects.filter(payment=payment).exists()


def test_move_refuses_a_payment_that_changed_since_it_was_read(world):
    payment = a_payment(world, PaymentStatus.SCHEDULED)
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CANCELLED)  # someone else, meanwhile
    with pytest.raises(PaymentError, match="changed a moment ago"):
        move(payment, PaymentStatus.SENT, actor=None)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CANCELLED


@pytest.mark.parametrize(("old", "to"), PAIRS)
def test_move_many_checks_the_same_table(world, old, to):
    payment = a_payment(world, old)
    if to in Payment.TRANSITIONS[old]:
        assert move_many([payment.pk], old=old, to=to, note="bulk") == [payment.pk]
    else:
        with pytest.raises(PaymentError, match="can't become"):
            move_many([payment.pk], old=old, to=to, note="bulk")


def test_move_many_moves_only_those_still_in_the_old_status_one_event_each(world):
    payments = [a_payment(world, PaymentStatus.SENT) for _ in range(3)]
    Payment.objects.filter(pk=payments[1].pk).update(status=PaymentStatus.RETURNED)
    ids = [p.pk for p in payments]
    moved = move_many(ids, old=PaymentStatus.SENT, to=PaymentStatus.SETTLED, note="Not returned in time")
    assert moved == [payments[0].pk, payments[2].pk]
    assert dict(Payment.objects.filter(pk__in=ids).values_list("pk", "status")) == {
        payments[0].pk: "settled",
        payments[1].pk: "returned",
        payments[2].pk: "settled",
    }
    assert PaymentEvent.objects.filter(payment_id__in=ids).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_status_change_outside_a_transaction_is_refused(world):
    payment = a_payment(world, PaymentStatus.SCHEDULED)
    assert not transaction.get_connection().in_atomic_block
    with pytest.raises(RuntimeError, match="inside the transaction"):
        move(payment, PaymentStatus.CANCELLED, actor=None)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        move_many([payment.pk], old=PaymentStatus.SCHEDULED, to=PaymentStatus.CANCELLED, note="")
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SCHEDULED


# ``move_locked``: the bulk path for callers that hold the rows' locks (the ACH export): the same
# table and one event per payment as ``move_many``, all or none.


@pytest.fixture
def payments(world):
    return [a_payment(world, PaymentStatus.SCHEDULED) for _ in range(3)]


def test_move_locked_moves_every_payment_and_writes_one_event_each(world, payments):
    actor = world.owner
    ids = [payment.pk for payment in payments]
    with transaction.atomic():
        move_locked(ids, old=PaymentStatus.SCHEDULED, to=PaymentStatus.SENT, note="Sent in file A", actor=actor)
    assert set(Payment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {PaymentStatus.SENT}
    events = PaymentEvent.objects.filter(payment_id__in=ids).order_by("payment_id")
    assert [(e.payment_id, e.from_status, e.to_status, e.note, e.actor_id) for e in events] == [
        (pk, "scheduled", "sent", "Sent in file A", actor.pk) for pk in ids
    ]
    assert all(event.created_at is not None for event in events)


def test_move_locked_refuses_a_move_the_table_does_not_allow(payments):
    with transaction.atomic(), pytest.raises(PaymentError, match="can't become settled"):
        move_locked([payments[0].pk], old=PaymentStatus.SCHEDULED, to=PaymentStatus.SETTLED, note="")
    assert not PaymentEvent.objects.exists()


def test_move_locked_fails_whole_when_one_payment_is_not_in_the_old_status(payments):
    Payment.objects.filter(pk=payments[1].pk).update(status=PaymentStatus.CANCELLED)
    with pytest.raises(PaymentError, match="no longer scheduled"), transaction.atomic():
        move_locked([p.pk for p in payments], old=PaymentStatus.SCHEDULED, to=PaymentStatus.SENT, note="")
    statuses = dict(Payment.objects.values_list("pk", "status"))
    assert statuses == {payments[0].pk: "scheduled", payments[1].pk: "cancelled", payments[2].pk: "scheduled"}
    assert not PaymentEvent.objects.exists()
