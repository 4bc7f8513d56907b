from datetime import timedelta

import pytest
import time_machine
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from conftest import free_port
from remit.lib.email_url import EmailTransport
from remit.notifications.actions import (
    email_send,
    outbox_deliver,
    outbox_deliver_due,
    outbox_retry,
    retry_delay,
)
from remit.notifications.models import OutboundEmail
from remit.test import make_biller, parts

pytestmark = pytest.mark.django_db


def _invite_like_email(biller):
    return email_send(
        to=["payer@example.com"],
        template="staff_invitation",
        biller=biller,
        context={
            "invitation": biller.invitations.model(email="payer@example.com", role="staff", expires_at=timezone.now()),
            "inviter": "Alex",
            "accept_url": "https://remit.example/console/invitations/abc",
        },
    )


def test_an_email_is_written_in_the_same_transaction_as_its_cause():
    biller, _ = make_biller()
    with pytest.raises(RuntimeError), transaction.atomic():
        _invite_like_email(biller)
        raise RuntimeError("the change that caused the email failed")
    assert not OutboundEmail.objects.exists()


def test_it_is_delivered_over_smtp_once_committed(smtp_server, run_on_commit):
    biller, _ = make_biller("Acme Supply Co.")
    with run_on_commit(execute=True):
        email = _invite_like_email(biller)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 1 and email.sent_at
    [message] = smtp_server.messages
    assert smtp_server.envelopes[0][1] == ["payer@example.com"]
    assert message["Message-ID"] == email.message_id
    assert message["From"].addresses[0].display_name == "Acme Supply Co."
    bodies = parts(message)
    assert "Acme Supply Co." in bodies["text/plain"] and "Acme Supply Co." in bodies["text/html"]


def test_a_down_server_loses_nothing_and_the_email_goes_out_when_it_is_back(settings, smtp_server):
    biller, _ = make_biller()
    settings.REMIT_EMAIL_TRANSPORT = EmailTransport(scheme="smtp", host="127.0.0.1", port=free_port(), timeout=2)
    email = _invite_like_email(biller)

    result = outbox_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert not result.delivered and result.claimed
    assert email.status == OutboundEmail.Status.PENDING
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert email.next_attempt_at > timezone.now()
    assert outbox_deliver_due() == []  # not due yet: backoff

    settings.REMIT_EMAIL_TRANSPORT = smtp_server.transport  # the server is back
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        [result] = outbox_deliver_due()
    assert result.delivered
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 2 and email.last_error == ""
    assert len(smtp_server.messages) == 1


def test_after_the_last_attempt_it_is_kept_as_failed_and_can_be_retried(settings, smtp_server):
    settings.REMIT_EMAIL_MAX_ATTEMPTS = 2
    good = smtp_server.transport
    settings.REMIT_EMAIL_TRANSPORT = EmailTransport(scheme="smtp", host="127.0.0.1", port=free_port(), timeout=2)
    email = _invite_like_email(make_biller()[0])
    outbox_deliver(email_id=email.pk)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        outbox_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.FAILED, 2)
    assert email.raw and email.last_error

    settings.REMIT_EMAIL_TRANSPORT = good
    assert outbox_retry(email_id=email.pk)
    assert outbox_deliver(email_id=email.pk).delivered
    assert len(smtp_server.messages) == 1


def test_delivering_twice_sends_once(smtp_server):
    email = _invite_like_email(make_biller()[0])
    assert outbox_deliver(email_id=email.pk).delivered
    assert not outbox_deliver(email_id=email.pk).claimed
    assert len(smtp_server.messages) == 1


def test_a_row_claimed_by_another_worker_is_left_alone(smtp_server):
    email = _invite_like_email(make_biller()[0])
    OutboundEmail.objects.filter(pk=email.pk).update(locked_until=timezone.now() + timedelta(minutes=5))
    assert not outbox_deliver(email_id=email.pk).claimed
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):  # that worker died; its lease ran out
        assert outbox_deliver(email_id=email.pk).delivered


def test_djangos_own_mail_api_goes_through_the_outbox(smtp_server, run_on_commit):
    with run_on_commit(execute=True):
        send_mail("Password reset", "Follow this link.", None, ["someone@example.com"])
    email = OutboundEmail.objects.get()
    assert email.status == OutboundEmail.Status.SENT and email.biller is None
    assert smtp_server.messages[0]["Subject"] == "Password reset"


@pytest.mark.django_db(transaction=True)
def test_an_email_sent_outside_any_transaction_commits_and_goes_out_by_itself(smtp_server):
    send_mail("Password reset", "Follow this link.", None, ["someone@example.com"])
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT
    assert smtp_server.messages[0]["Subject"] == "Password reset"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_email_is_neither_stored_nor_sent(smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail("Password reset", "Follow this link.", None, ["someone@example.com"])
        raise RuntimeError("the change failed")
    assert not OutboundEmail.objects.exists()
    assert smtp_server.messages == []


def test_the_backoff_grows_then_caps_at_an_hour():
    assert [retry_delay(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_the_file_transport_writes_one_eml_per_email(mailbox, run_on_commit):
    with run_on_commit(execute=True):
        _invite_like_email(make_biller()[0])
        _invite_like_email(make_biller()[0])
    assert len(mailbox()) == 2


@pytest.mark.django_db(transaction=True)
def test_a_delivered_email_is_recorded_as_sent_once_the_database_answers_again(smtp_server, monkeypatch):
    """The mail server took the message and then the database went away: the worker keeps trying to
    record it under its lease, instead of leaving it pending to be delivered a second time."""
    from django.db.models import QuerySet
    from django.db.utils import OperationalError

    from remit.notifications import actions

    with monkeypatch.context() as patch, transaction.atomic():
        patch.setattr(actions, "_request_delivery", lambda _id: None)  # delivered below, by hand
        email = _invite_like_email(make_biller()[0])
    update = QuerySet.update
    refused: list[dict[str, object]] = []

    def database_away_once(self, **values):
        if values.get("status") == OutboundEmail.Status.SENT and not refused:
            refused.append(values)
            raise OperationalError("server closed the connection unexpectedly")
        return update(self, **values)

    monkeypatch.setattr(QuerySet, "update", database_away_once)
    monkeypatch.setattr(actions, "RECORD_RETRY_SECONDS", 0)
    assert outbox_deliver(email_id=email.pk).delivered
    email.refresh_from_db()
    assert refused and email.status == OutboundEmail.Status.SENT and email.locked_until is None
    assert len(smtp_server.messages) == 1
    assert outbox_deliver_due() == []  # nothing left to deliver again
