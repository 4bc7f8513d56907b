"""Picking up the bank's files: imported through the console's import, archived with their SHA-256,
never twice; a file Remit can't read stays at the bank, is shown with its reason, emailed once."""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from typing import Any

import pytest

from remit.ach.bank_sim import returns_for
from remit.ach.models import AchEntry
from remit.ach.returns import ach_import_returns
from remit.ach.stored import file_text
from remit.bank import pgp
from remit.bank.models import BankConnection, PickedUpFile, PickupStatus
from remit.bank.pickup import bank_pick_up, bank_pickup_retry
from remit.bank.tests.conftest import Acme, Bank, KeyPair, email_text, export_file
from remit.lib import crypto
from remit.notifications.models import OutboundEmail
from remit.payments.models import PaymentStatus

pytestmark = pytest.mark.django_db


def return_file(acme: Acme, run_on_commit: Any, code: str = "R01") -> tuple[str, AchEntry]:
    """The bank's return file for a new outbound file, returning its one entry with ``code``."""
    record = export_file(acme, run_on_commit)
    entry = AchEntry.objects.select_related("payment").get(file=record)
    text = returns_for(file_text(record), returns={entry.trace_number: code}, today=date.today())
    return text, entry


def unreadable_emails() -> list[Any]:
    return list(OutboundEmail.objects.filter(subject__startswith="Remit could not read"))


def test_a_return_file_is_imported_archived_and_left_at_the_bank(
    connected: Acme, bank: Bank, run_on_commit: Any
) -> None:
    text, entry = return_file(connected, run_on_commit)
    (bank.from_bank / "RET20261204.ach").write_text(text)
    with run_on_commit(execute=True):
        result = bank_pick_up(biller=connected.biller)
    assert [r.remote_name for r in result.imported] == ["RET20261204.ach"] and not result.error
    entry.payment.refresh_from_db()
    assert entry.payment.status == PaymentStatus.RETURNED
    record = PickedUpFile.objects.get(biller=connected.biller)
    assert record.status == PickupStatus.IMPORTED and record.returned == 1 and record.inbound is not None
    assert record.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert base64.b64decode(crypto.decrypt(record.content_encrypted)) == text.encode()
    assert entry.payment.bank_account is not None
    assert text.split("\n")[2][12:29].strip() not in record.content_encrypted  # the account number is not in clear
    assert (bank.from_bank / "RET20261204.ach").exists()  # left for the bank to purge
    assert BankConnection.objects.get(biller=connected.biller).last_success_at is not None

    again = bank_pick_up(biller=connected.biller)
    assert again.imported == [] and again.duplicates == 0  # known by name, size and time: not even downloaded
    (bank.from_bank / "RET20261204-copy.ach").write_text(text)
    copy = bank_pick_up(biller=connected.biller)
    assert copy.imported == [] and copy.duplicates == 1  # the same content under another name: never twice
    assert PickedUpFile.objects.count() == 1


def test_a_file_imported_by_hand_before_is_recorded_as_imported_before(
    connected: Acme, bank: Bank, run_on_commit: Any
) -> None:
    text, entry = return_file(connected, run_on_commit)
    ach_import_returns(text=text, filename="uploaded.ach", biller=connected.biller)
    (bank.from_bank / "returns.ach").write_text(text.replace("\n", "\r\n"))  # the same records, other line ends
    result = bank_pick_up(biller=connected.biller)
    assert [r.status for r in result.imported] == [PickupStatus.DUPLICATE]
    assert AchEntry.objects.get(pk=entry.pk).ach_return.inbound.filename == "uploaded.ach"


def test_files_still_being_written_and_folders_are_left_alone(connected: Acme, bank: Bank, run_on_commit: Any) -> None:
    text, _ = return_file(connected, run_on_commit)
    (bank.from_bank / "returns.ach.part").write_text(text[:300])
    (bank.from_bank / ".returns.ach").write_text(text)
    (bank.from_bank / "archive").mkdir()
    assert bank_pick_up(biller=connected.biller) == type(bank_pick_up(biller=connected.biller))()
    assert not PickedUpFile.objects.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Dear customer, here are your returns.\n", "Line 1: "),
        ("Zahlungsrückgabe".encode(), "The file is not plain ASCII text (byte 10 is not), so it is not a NACHA file."),
        (b"", "The file is empty."),
    ],
)
def test_a_file_remit_cant_read_stays_at_the_bank_shown_and_emailed_once(
    connected: Acme, bank: Bank, content: bytes, reason: str
) -> None:
    (bank.from_bank / "notes.txt").write_bytes(content)
    result = bank_pick_up(biller=connected.biller)
    assert [r.remote_name for r in result.unreadable] == ["notes.txt"]
    record = PickedUpFile.objects.get(biller=connected.biller)
    assert record.status == PickupStatus.UNREADABLE and record.reason.startswith(reason)
    assert (bank.from_bank / "notes.txt").exists()
    bank_pick_up(biller=connected.biller)
    emails = unreadable_emails()
    assert len(emails) == 1 and emails[0].recipients == [connected.owner.email]
    assert record.reason in email_text(emails[0])


def test_a_return_for_a_trace_remit_never_sent_is_imported_as_not_ours_and_changes_nothing(
    connected: Acme, bank: Bank, run_on_commit: Any
) -> None:
    """Another originator's return in the bank's file is listed on the import's page ("not ours"),
    as for a file uploaded in the console; the file itself is read, so it is not unreadable."""
    text, entry = return_file(connected, run_on_commit)
    (bank.from_bank / "other.ach").write_text(text.replace(entry.trace_number, "111000029999999"))
    result = bank_pick_up(biller=connected.biller)
    assert not result.unreadable and len(result.imported) == 1
    inbound = result.imported[0].inbound
    assert inbound is not None
    assert [foreign.original_trace for foreign in inbound.foreign_entries.all()] == ["111000029999999"]
    assert result.imported[0].returned == 0
    entry.payment.refresh_from_db()
    assert entry.payment.status == PaymentStatus.SENT


def test_asking_to_read_an_unreadable_file_again(connected: Acme, bank: Bank, pgp_keys: dict[str, KeyPair]) -> None:
    sealed = pgp.encrypt(b"101 not really", public_key=pgp_keys["biller"].public)
    (bank.from_bank / "returns.pgp").write_bytes(sealed)
    first = bank_pick_up(biller=connected.biller)
    assert first.unreadable[0].reason == (
        "The file is PGP-encrypted, and no PGP private key of yours is set to decrypt it."
    )
    bank_pickup_retry(biller=connected.biller, actor=connected.owner, picked_up_id=first.unreadable[0].pk)
    BankConnection.objects.filter(biller=connected.biller).update(
        pgp_own_key_encrypted=crypto.encrypt(pgp_keys["biller"].private),
        pgp_own_passphrase_encrypted=crypto.encrypt(pgp_keys["biller"].passphrase),
    )
    second = bank_pick_up(biller=connected.biller)
    assert second.unreadable[0].decrypted and second.unreadable[0].reason.startswith("Line 1: ")
    assert len(unreadable_emails()) == 2


def test_a_file_encrypted_to_another_key_is_unreadable(
    connected: Acme, bank: Bank, run_on_commit: Any, pgp_keys: dict[str, KeyPair]
) -> None:
    BankConnection.objects.filter(biller=connected.biller).update(
        pgp_own_key_encrypted=crypto.encrypt(pgp_keys["biller"].private),
        pgp_own_passphrase_encrypted=crypto.encrypt(pgp_keys["biller"].passphrase),
    )
    text, entry = return_file(connected, run_on_commit)
    (bank.from_bank / "returns.pgp").write_bytes(pgp.encrypt(text.encode(), public_key=pgp_keys["stranger"].public))
    result = bank_pick_up(biller=connected.biller)
    assert result.unreadable[0].reason == (
        "The file is encrypted to another key than your PGP key: ask the bank which key it uses."
    )
    entry.payment.refresh_from_db()
    assert entry.payment.status == PaymentStatus.SENT


def test_a_missing_inbound_folder_is_said_and_emailed_until_it_works_again(connected: Acme, bank: Bank) -> None:
    BankConnection.objects.filter(biller=connected.biller).update(inbound_dir="/returns")
    assert bank_pick_up(biller=connected.biller).error == "The folder /returns does not exist on the bank's server."
    assert bank_pick_up(biller=connected.biller).error
    emails = OutboundEmail.objects.filter(subject="Remit can't fetch files from your bank")
    assert emails.count() == 1
    BankConnection.objects.filter(biller=connected.biller).update(inbound_dir="/from-bank")
    assert not bank_pick_up(biller=connected.biller).error
    assert BankConnection.objects.get(biller=connected.biller).failing_since is None
