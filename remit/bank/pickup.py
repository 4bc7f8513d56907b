"""Picking up the bank's files: returns and notifications of change, from the inbound folder.

Each new file is downloaded, decrypted when it is PGP, and imported through
``remit.ach.returns.ach_import_returns`` — the same code as the console's upload, all or nothing —
in one transaction with its ``PickedUpFile`` record (its content, encrypted, and the SHA-256 of the
bytes the bank sent). ``PickedUpFile`` is unique per biller and SHA-256, and the import is unique
per file's records, so the same content is never imported twice, whatever its name and however
many workers look at once.

**Files stay on the bank's server.** Remit neither deletes nor moves what it picked up: many banks
don't allow their customers to delete or rename in the folder they publish to, and purge it
themselves after some days; others keep files for the customer's other systems or an accountant to
fetch too. Remit remembers what it has read instead — by name, size and modification time, so an
unchanged folder costs one listing and no downloads, and by SHA-256, so a file published twice
under two names is imported once.

A file Remit can't read (not NACHA, not ASCII, encrypted to another key, a trace number Remit never
sent…) is recorded as unreadable with the reason, shown in the console, and the owners are emailed
once for it; it stays on the bank's side. An owner may ask Remit to try it again (after uploading
the right PGP key, for instance).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import posixpath
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.ach.returns import ReturnFileError, ach_import_returns
from remit.bank import pgp, sftp
from remit.bank.connections import BankConnectionError, bank_host_key_changed, endpoint_of, tell_owners
from remit.bank.models import BankConnection, PickedUpFile, PickupStatus
from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.lib import crypto
from remit.users.models import User

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024  # a return file is far smaller; anything bigger is not one


class Unreadable(Exception):
    """Why a file can't be imported; ``str(error)`` is shown to the owner."""


@dataclass
class PickupResult:
    imported: list[PickedUpFile] = field(default_factory=list)
    unreadable: list[PickedUpFile] = field(default_factory=list)
    duplicates: int = 0
    error: str = ""


def bank_pick_up(*, biller: Biller) -> PickupResult:
    """One look at the bank's folder: every new file imported or recorded as unreadable."""
    result = PickupResult()
    connection = BankConnection.objects.filter(biller=biller).first()
    if connection is None or not connection.ready:
        result.error = (
            "no bank connection is on"
            if not connection or not connection.transfers_stopped
            else ("transfers are stopped: the bank's host key changed")
        )
        return result
    try:
        with sftp.open_session(endpoint_of(connection)) as session:
            for remote in session.check_folder(connection.inbound_dir):
                if not _new(biller, remote):
                    continue
                if remote.size > MAX_FILE_BYTES:
                    data = b""
                else:
                    data = session.download(posixpath.join(connection.inbound_dir, remote.name))
                _take(connection, remote, data, result)
    except sftp.HostKeyChanged as error:
        bank_host_key_changed(connection.pk, error.seen)
        result.error = str(error)
    except (sftp.SftpError, crypto.DecryptionError) as error:
        result.error = str(error)
        _failing(connection, str(error))
    else:
        _working(connection)
    return result


def _new(biller: Biller, remote: sftp.RemoteFile) -> bool:
    """A file Remit has not read yet (hidden files and ``.part`` files are still being written)."""
    if not remote.is_file or remote.name.startswith(".") or remote.name.endswith((".part", ".tmp", ".filepart")):
        return False
    seen = PickedUpFile.objects.filter(
        biller=biller, remote_name=remote.name, remote_size=remote.size, remote_mtime=remote.mtime
    )
    return not seen.exists()


def _take(connection: BankConnection, remote: sftp.RemoteFile, data: bytes, result: PickupResult) -> None:
    biller = connection.biller
    sha = hashlib.sha256(data).hexdigest()
    if PickedUpFile.objects.filter(biller=biller, sha256=sha).exists():
        result.duplicates += 1  # the same content under another name, or again: never twice
        return
    record = PickedUpFile(
        biller=biller,
        remote_name=remote.name[:255],
        remote_size=remote.size,
        remote_mtime=remote.mtime,
        sha256=sha,
        content_encrypted=crypto.encrypt(base64.b64encode(data).decode()),
    )
    try:
        with transaction.atomic():
            try:
                text = _text(connection, remote, data, record)
                imported = ach_import_returns(text=text, filename=remote.name, biller=biller, actor=None)
            except (Unreadable, ReturnFileError) as error:
                record.status, record.reason = PickupStatus.UNREADABLE, _sentence(str(error))
            else:
                record.status = PickupStatus.DUPLICATE if imported.already_imported else PickupStatus.IMPORTED
                record.inbound = imported.inbound
                record.returned, record.corrected = imported.returned, imported.corrected
            with transaction.atomic():
                record.save()
            if record.status == PickupStatus.UNREADABLE:
                tell_owners(biller, "bank_file_unreadable", {"record": record})
    except IntegrityError:
        result.duplicates += 1  # another worker took the same file at the same moment
        return
    log.info("Picked up %s from the bank: %s.", remote.name, record.get_status_display().lower())
    (result.unreadable if record.status == PickupStatus.UNREADABLE else result.imported).append(record)


def _text(connection: BankConnection, remote: sftp.RemoteFile, data: bytes, record: PickedUpFile) -> str:
    if not data:
        raise Unreadable(
            "the file is empty" if remote.size == 0 else f"the file is {remote.size:,} bytes: too big for a return file"
        )
    if pgp.looks_encrypted(data):
        if not connection.pgp_own_key_encrypted:
            raise Unreadable("the file is PGP-encrypted, and no PGP private key of yours is set to decrypt it")
        try:
            data = pgp.decrypt(
                data,
                private_key=crypto.decrypt(connection.pgp_own_key_encrypted),
                passphrase=crypto.decrypt(connection.pgp_own_passphrase_encrypted)
                if connection.pgp_own_passphrase_encrypted
                else "",
            )
        except pgp.PgpError as error:
            raise Unreadable(str(error)) from None
        record.decrypted = True
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as error:
        raise Unreadable(
            f"the file is not plain ASCII text (byte {error.start + 1} is not), so it is not a NACHA file"
        ) from None


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return (text[:1].upper() + text[1:] + ".") if text else "Unreadable."


def _failing(connection: BankConnection, error: str) -> None:
    """The owners are emailed when the bank's folder stops answering, not at every poll after."""
    now = timezone.now()
    with transaction.atomic():
        BankConnection.objects.filter(pk=connection.pk).update(last_error=error[:2000])
        if BankConnection.objects.filter(pk=connection.pk, failing_since__isnull=True).update(failing_since=now):
            tell_owners(connection.biller, "bank_pickup_failed", {"error": error})


def _working(connection: BankConnection) -> None:
    BankConnection.objects.filter(pk=connection.pk).update(
        failing_since=None, last_error="", last_success_at=timezone.now()
    )


def bank_pickup_retry(*, biller: Biller, actor: User, picked_up_id: int) -> None:
    """Forget an unreadable file, so the next pick-up reads it again (e.g. after a new PGP key)."""
    require_owner(biller, actor, message="Only an owner can ask Remit to read a file again.")
    deleted, _ = PickedUpFile.objects.filter(biller=biller, pk=picked_up_id, status=PickupStatus.UNREADABLE).delete()
    if not deleted:
        raise BankConnectionError("That file is not an unreadable file of this business any more.")
