"""Delivering NACHA files to the bank's SFTP server: a temporary name then a rename, recorded, retried
with back-off — and exactly once, with two workers at once or a crash between upload and rename."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection as db_connection
from django.utils import timezone

from remit.ach.models import AchFile
from remit.ach.stored import file_bytes, outbound_key
from remit.bank import delivery as delivery_module
from remit.bank import pgp
from remit.bank.delivery import (
    bank_deliver,
    deliveries_create,
    delivery_deadline,
    retry_delay,
    tell_late,
)
from remit.bank.models import BankConnection, DeliveryStatus, FileDelivery
from remit.bank.tests.conftest import Acme, Bank, KeyPair, email_text, export_file
from remit.files.store import file_store
from remit.notifications.models import OutboundEmail
from remit.test import child_env

pytestmark = pytest.mark.django_db


def queued(acme: Acme, run_on_commit: Any) -> FileDelivery:
    record = export_file(acme, run_on_commit)
    made = deliveries_create(acme.biller)
    assert [d.file_id for d in made] == [record.pk]
    return made[0]


def at_the_bank(bank: Bank) -> list[str]:
    return sorted(path.name for path in bank.to_bank.iterdir())


def test_a_file_goes_up_as_part_then_is_renamed_and_recorded(connected: Acme, bank: Bank, run_on_commit: Any) -> None:
    delivery = queued(connected, run_on_commit)
    record = delivery.file
    outcome = bank_deliver(delivery.pk)
    assert outcome.done, outcome.said
    assert bank.sim.uploads == [f"/to-bank/{record.filename}.part"]
    assert at_the_bank(bank) == [record.filename]
    assert (bank.to_bank / record.filename).read_bytes() == file_bytes(record)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.delivered_at is not None
    assert delivery.remote_name == record.filename and delivery.attempts == 1 and not delivery.encrypted
    assert not bank_deliver(delivery.pk).done  # again: nothing
    assert bank.sim.uploads == [f"/to-bank/{record.filename}.part"]


def test_files_written_before_the_connection_was_on_stay_with_the_biller(
    acme: Acme, bank: Bank, run_on_commit: Any
) -> None:
    from remit.bank.connections import bank_connection_save
    from remit.bank.tests.conftest import connection_fields

    export_file(acme, run_on_commit)
    bank_connection_save(biller=acme.biller, actor=acme.owner, fields=connection_fields(bank))
    assert deliveries_create(acme.biller) == []


def test_with_pgp_the_bank_gets_the_file_encrypted_to_its_key(
    connected: Acme, bank: Bank, run_on_commit: Any, pgp_keys: dict[str, KeyPair]
) -> None:
    BankConnection.objects.filter(biller=connected.biller).update(pgp_bank_key=pgp_keys["bank"].public)
    delivery = queued(connected, run_on_commit)
    assert bank_deliver(delivery.pk).done
    name = f"{delivery.file.filename}.pgp"
    assert at_the_bank(bank) == [name]
    sent = (bank.to_bank / name).read_bytes()
    assert pgp.looks_encrypted(sent) and b"ACME SUPPLY" not in sent
    plain = pgp.decrypt(sent, private_key=pgp_keys["bank"].private, passphrase="")
    assert plain == file_bytes(delivery.file)
    delivery.refresh_from_db()
    assert delivery.encrypted and delivery.remote_name == name
    with pytest.raises(pgp.PgpError, match="encrypted to another key"):
        pgp.decrypt(sent, private_key=pgp_keys["stranger"].private, passphrase="")


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_deliver_the_file_once(connected: Acme, bank: Bank, run_on_commit: Any) -> None:
    delivery = queued(connected, run_on_commit)
    start = threading.Barrier(2)
    outcomes = []

    def worker() -> None:
        try:
            start.wait()
            outcomes.append(bank_deliver(delivery.pk))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcome.done for outcome in outcomes) == [False, True]
    assert bank.sim.uploads == [f"/to-bank/{delivery.file.filename}.part"]
    assert at_the_bank(bank) == [delivery.file.filename]
    assert FileDelivery.objects.get(pk=delivery.pk).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_upload_and_rename_then_a_retry_delivers_once(
    connected: Acme, bank: Bank, run_on_commit: Any
) -> None:
    delivery = queued(connected, run_on_commit)
    name = delivery.file.filename
    crashed = subprocess.run(
        [sys.executable, "-m", "remit", "bank", "sync", "--biller", connected.biller.slug],
        env=child_env(REMIT_BANK_CRASH_AT="after-upload"),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == 86, crashed.stderr.decode()[-2000:]
    assert at_the_bank(bank) == [f"{name}.part"]  # uploaded whole, never renamed
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING and not delivery.part_complete
    assert not bank_deliver(delivery.pk).done  # its lease still runs: nobody touches it
    later = timezone.now() + delivery_module.LEASE + timedelta(seconds=1)
    outcome = bank_deliver(delivery.pk, now=later)
    assert outcome.done, outcome.said
    assert bank.sim.uploads == [f"/to-bank/{name}.part"]  # the retry only renamed
    assert at_the_bank(bank) == [name]
    assert (bank.to_bank / name).read_bytes() == file_bytes(AchFile.objects.get(filename=name))
    assert FileDelivery.objects.get(pk=delivery.pk).attempts == 2


def test_a_crash_after_the_rename_is_found_on_retry_even_when_the_bank_took_the_file(
    connected: Acme, bank: Bank, run_on_commit: Any, monkeypatch: Any
) -> None:
    class Killed(BaseException):
        pass

    def crash(name: str) -> None:
        if name == "after-rename":
            raise Killed  # not an error the delivery handles: the worker is gone, its lease left behind

    monkeypatch.setattr(delivery_module, "_crash_point", crash)
    first = queued(connected, run_on_commit)
    with pytest.raises(Killed):
        bank_deliver(first.pk)
    assert FileDelivery.objects.get(pk=first.pk).status == DeliveryStatus.SENDING
    later = timezone.now() + delivery_module.LEASE + timedelta(seconds=1)
    outcome = bank_deliver(first.pk, now=later)
    assert outcome.done and "found whole on the bank's server" in outcome.said

    second = queued(connected, run_on_commit)
    with pytest.raises(Killed):
        bank_deliver(second.pk)
    bank.sim.answer_delivered()  # the bank takes both files away before the retry
    outcome = bank_deliver(second.pk, now=later)
    assert outcome.done and "the bank had already taken it" in outcome.said
    assert len(bank.sim.uploads) == 2  # one upload per file
    assert sorted(path.name for path in bank.received.iterdir()) == sorted([first.file.filename, second.file.filename])


def test_a_network_cut_mid_upload_leaves_the_file_queued_and_the_retry_delivers_it_once(
    connected: Acme, bank: Bank, run_on_commit: Any
) -> None:
    sim = bank.sim

    class CutOnUpload(list[str]):
        def append(self, path: str) -> None:
            super().append(path)
            for conn in list(sim.connections):
                conn.abort()  # in the server's own loop, as the upload starts

    sim.uploads = CutOnUpload()
    delivery = queued(connected, run_on_commit)
    outcome = bank_deliver(delivery.pk)
    assert not outcome.done
    assert "cut" in outcome.said or "closed the connection" in outcome.said
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED and delivery.last_error == outcome.said
    assert delivery.next_attempt_at > timezone.now() and not delivery.part_complete
    assert delivery.file.filename not in at_the_bank(bank)  # nothing delivered, at most a .part
    emails = OutboundEmail.objects.filter(subject__contains="could not be delivered")
    assert emails.count() == 1 and outcome.said in email_text(emails[0])

    sim.uploads = []
    later = delivery.next_attempt_at + timedelta(seconds=1)
    assert bank_deliver(delivery.pk, now=later).done
    assert at_the_bank(bank) == [delivery.file.filename]
    assert sim.uploads == [f"/to-bank/{delivery.file.filename}.part"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"outbound_dir": "/inbox"}, "The folder /inbox does not exist on the bank's server."),
        ({"username": "nobody"}, "refused the login of “nobody”"),
    ],
)
def test_a_refusal_is_said_emailed_once_and_the_file_waits(
    connected: Acme, bank: Bank, run_on_commit: Any, change: dict[str, str], said: str
) -> None:
    BankConnection.objects.filter(biller=connected.biller).update(**change)
    delivery = queued(connected, run_on_commit)
    first = bank_deliver(delivery.pk)
    again = bank_deliver(delivery.pk, now=timezone.now() + timedelta(minutes=2))
    assert not first.done and not again.done and said in first.said
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED and delivery.attempts == 2
    assert delivery.next_attempt_at > timezone.now() + timedelta(minutes=1)  # backing off
    assert OutboundEmail.objects.filter(subject__contains="could not be delivered").count() == 1
    assert at_the_bank(bank) == []


def test_a_changed_host_key_stops_the_delivery_until_a_key_is_confirmed(
    connected: Acme, bank: Bank, run_on_commit: Any
) -> None:
    from remit.bank.connections import bank_host_key_pin
    from remit.bank.sftp import generate_key_pair

    pinned = " ".join(generate_key_pair()[1].split()[:2])
    BankConnection.objects.filter(biller=connected.biller).update(host_key=pinned)
    delivery = queued(connected, run_on_commit)
    assert "presented the host key" in bank_deliver(delivery.pk).said
    later = timezone.now() + timedelta(hours=2)
    assert bank_deliver(delivery.pk, now=later).said == "waiting: the bank's host key changed"
    assert OutboundEmail.objects.filter(subject__contains="host key changed").count() == 1
    assert not OutboundEmail.objects.filter(subject__contains="could not be delivered").exists()
    bank_host_key_pin(biller=connected.biller, actor=connected.owner, host_key=bank.host_key)
    assert bank_deliver(delivery.pk, now=later + timedelta(hours=2)).done
    assert at_the_bank(bank) == [delivery.file.filename]


def test_a_different_file_of_the_same_name_at_the_bank_is_never_replaced(
    connected: Acme, bank: Bank, run_on_commit: Any
) -> None:
    delivery = queued(connected, run_on_commit)
    (bank.to_bank / delivery.file.filename).write_bytes(b"someone else's file")
    outcome = bank_deliver(delivery.pk)
    assert not outcome.done and "is already in /to-bank" in outcome.said and "did not replace it" in outcome.said
    assert (bank.to_bank / delivery.file.filename).read_bytes() == b"someone else's file"


def test_a_file_changed_in_the_store_is_not_sent(connected: Acme, bank: Bank, run_on_commit: Any) -> None:
    delivery = queued(connected, run_on_commit)
    changed = file_bytes(delivery.file).replace(b"ACME", b"ACNE")
    file_store().save(outbound_key(delivery.file.filename), ContentFile(changed))
    outcome = bank_deliver(delivery.pk)
    assert not outcome.done and "changed since Remit wrote it" in outcome.said
    assert at_the_bank(bank) == [] and bank.sim.uploads == []


def test_a_file_not_delivered_at_the_cut_off_is_told_to_the_owners_once(
    connected: Acme, bank: Bank, run_on_commit: Any
) -> None:
    delivery = queued(connected, run_on_commit)
    record = AchFile.objects.get(pk=delivery.file_id)
    deadline = delivery_deadline(record, connected.biller)
    assert deadline >= record.created_at + delivery_module.LATE_GRACE
    assert tell_late(connected.biller, now=deadline - timedelta(seconds=1)) == 0
    assert tell_late(connected.biller, now=deadline) == 1
    assert tell_late(connected.biller, now=deadline + timedelta(hours=1)) == 0
    email = OutboundEmail.objects.get(subject__contains="late for your bank's cut-off")
    assert email.recipients == [connected.owner.email]


def test_retries_back_off_from_a_minute_to_an_hour() -> None:
    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4, 7, 20)] == [1, 2, 4, 8, 60, 60]


def test_remit_ach_export_hands_its_file_to_the_worker_which_delivers_it(
    connected: Acme, bank: Bank, run_on_commit: Any
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from remit.test import ach_payment_rows, make_bank_account, make_invoice, soonest_pay_on

    make_bank_account(connected.admin, number="123456789")
    invoice = make_invoice(connected.customer, amount_cents=5000)
    payment = ach_payment_rows(connected.customer, [(invoice, 5000)], pay_on=soonest_pay_on(connected.biller))
    with run_on_commit(execute=True):
        call_command(
            "ach", "export", "--biller", connected.biller.slug, "--date", payment.pay_on.isoformat(), stdout=StringIO()
        )
    record = AchFile.objects.get(biller=connected.biller)
    assert FileDelivery.objects.get(file=record).status == DeliveryStatus.DELIVERED  # the task ran on commit
    assert at_the_bank(bank) == [record.filename]


def test_remit_bank_sync_says_what_it_did(connected: Acme, bank: Bank, run_on_commit: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    record = export_file(connected, run_on_commit)
    out = StringIO()
    call_command("bank", "sync", "--biller", connected.biller.slug, stdout=out)
    assert f"acme-supply: delivered {record.filename} as {record.filename}" in out.getvalue()
    out = StringIO()
    call_command("bank", "sync", stdout=out)
    assert out.getvalue() == "acme-supply: nothing to deliver, nothing new from the bank.\n"
