"""Delivering the biller's NACHA files to its bank over SFTP — each exactly once.

A file goes to ``<outbound>/<name>.part`` and is then renamed to ``<name>`` (``<name>.pgp`` when
PGP-encrypted), so the bank never sees half a file. Each step is recorded before the next:

1. **Claim** the ``FileDelivery`` row with a conditional UPDATE (queued and due, or sending with an
   expired lease) that sets a fresh lease token; a worker that changes no row does nothing. Two
   workers never send the same file at once.
2. **Look** at the bank's folder first. The final name there, with the size (and, when the server
   lets Remit read it back, the SHA-256) of the bytes recorded for the last upload → delivered. A
   ``.part`` that is whole → only the rename is left. No ``.part`` and no final name, but the ``.part``
   had been recorded whole → the rename happened and the bank already took the file → delivered.
3. Otherwise **upload**: the bytes' size and SHA-256 are recorded (committed) before the upload — PGP
   output differs at each encryption, so a retry recognises its upload by what was recorded, not by
   encrypting again —, the ``.part`` is written and checked, recorded whole, then renamed, then the
   row is marked delivered. Every record is conditional on the lease token: a worker that lost its
   lease stops before the rename.

A crash at any point leaves the row *sending* with a lease that expires; the next attempt resumes
at step 2 and never uploads a whole file twice. A failure records the error, releases the row and
retries with exponential back-off (1 minute, doubling, at most an hour); the owners are emailed at
the first failure of each file and once more if it is still not delivered at the biller's cut-off.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from remit.ach.models import AchFile
from remit.ach.stored import StoredFileChanged, StoredFileMissing, StoredFileUnreachable, file_bytes
from remit.bank import pgp, sftp
from remit.bank.connections import BankConnectionError, bank_host_key_changed, endpoint_of, tell_owners
from remit.bank.models import BankConnection, BankConnectionChange, DeliveryStatus, FileDelivery
from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.lib import crypto
from remit.lib.banking_days import previous_banking_day
from remit.lib.tasks import enqueue_on_commit
from remit.users.models import User

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # far longer than a connection's and an upload's time-outs
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
LATE_GRACE = timedelta(minutes=15)  # a file written at (or after) the cut-off gets this long


class DeliveryProblem(sftp.SftpError):
    """Something about this file (not the connection) keeps it from being delivered."""


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)


def _crash_point(name: str) -> None:
    """Tests kill the delivery here (REMIT_BANK_CRASH_AT) to prove a crash never uploads a file twice."""
    if os.environ.get("REMIT_BANK_CRASH_AT") == name:
        os._exit(86)


# --- Which files ---------------------------------------------------------------------------------


def delivery_queue(file_id: int) -> None:
    """The receiver of ``ach.hooks.file_written``: a new file is queued for its bank at once (when the
    biller has a bank connection that is on) and a worker is asked to deliver it."""
    with transaction.atomic():
        record = AchFile.objects.filter(pk=file_id).first()
        if record is None:
            return
        for delivery in deliveries_create(record.biller):
            enqueue_on_commit("remit.bank.tasks.bank_deliver", delivery.pk, what=f"the delivery of {record.filename}")


def deliveries_create(biller: Biller) -> list[FileDelivery]:
    """A ``FileDelivery`` for each file of the biller written since its connection was turned on that
    has none yet (the sweep's way to find files whose hook was missed). Returns the new ones."""
    connection = BankConnection.objects.filter(biller=biller, enabled=True, deliver_from__isnull=False).first()
    if connection is None:
        return []
    files = AchFile.objects.filter(biller=biller, created_at__gte=connection.deliver_from, delivery__isnull=True)
    made = [FileDelivery(file_id=pk, biller=biller) for pk in files.values_list("pk", flat=True)]
    if made:
        FileDelivery.objects.bulk_create(made, ignore_conflicts=True)  # another worker may make them too
    return list(FileDelivery.objects.filter(file_id__in=[d.file_id for d in made], status=DeliveryStatus.QUEUED))


def due_deliveries(biller: Biller, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    due = FileDelivery.objects.filter(biller=biller).filter(
        Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    )
    return list(due.order_by("pk").values_list("pk", flat=True))


# --- One delivery ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    delivery_id: int
    done: bool
    said: str


def bank_deliver(delivery_id: int, *, now: datetime | None = None) -> Outcome:
    """Deliver one file (see the module's text). Safe to call any number of times, from any worker."""
    token = _claim(delivery_id, now or timezone.now())
    if token is None:
        return Outcome(delivery_id, False, "not due, being sent by another worker, or delivered already")
    delivery = FileDelivery.objects.select_related("file", "biller").get(pk=delivery_id)
    connection = BankConnection.objects.filter(biller=delivery.biller).first()
    if connection is None or not connection.ready:
        why = (
            "the bank's host key changed" if connection and connection.transfers_stopped else "no bank connection is on"
        )
        _release(delivery, token, f"Waiting: {why}.", notify=False)
        return Outcome(delivery_id, False, f"waiting: {why}")
    try:
        with sftp.open_session(endpoint_of(connection)) as session:
            said = _deliver_on(session, connection, delivery, token)
    except sftp.HostKeyChanged as error:
        bank_host_key_changed(connection.pk, error.seen)
        _release(delivery, token, str(error), notify=False)  # the owners get the host key email
        return Outcome(delivery_id, False, str(error))
    except (sftp.SftpError, pgp.PgpError, crypto.DecryptionError) as error:
        _release(delivery, token, str(error), notify=True)
        log.warning("Could not deliver %s to the bank: %s", delivery.file.filename, error)
        return Outcome(delivery_id, False, str(error))
    return Outcome(delivery_id, True, said)


def _claim(delivery_id: int, now: datetime) -> str | None:
    token = secrets.token_hex(16)
    claimed = FileDelivery.objects.filter(
        Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, lease_until__lt=now),
        pk=delivery_id,
    ).update(status=DeliveryStatus.SENDING, lease_token=token, lease_until=now + LEASE, attempts=F("attempts") + 1)
    return token if claimed == 1 else None


def _mine(delivery: FileDelivery, token: str, **changes: object) -> None:
    """Record a step, if this worker still holds the lease; otherwise stop (another worker took over)."""
    if not FileDelivery.objects.filter(pk=delivery.pk, lease_token=token).update(**changes):
        raise DeliveryProblem("Another worker took over this delivery (this one was too slow); it stopped.")
    for name, value in changes.items():
        setattr(delivery, name, value)


def _deliver_on(session: sftp.Session, connection: BankConnection, delivery: FileDelivery, token: str) -> str:
    folder = connection.outbound_dir
    encrypt = bool(connection.pgp_bank_key)
    final = delivery.file.filename + (".pgp" if encrypt else "")
    part = final + ".part"
    there = {item.name: item for item in session.entries(folder)}
    recorded = delivery.payload_size is not None and delivery.remote_name == final
    if final in there:
        if recorded and _same(session, posixpath.join(folder, final), there[final].size, delivery):
            return _delivered(delivery, token, final, "found whole on the bank's server after an interruption")
        raise DeliveryProblem(
            f"{final} is already in {folder} on the bank's server and is not the file Remit uploaded; "
            "Remit did not replace it. Ask the bank about it."
        )
    if part in there and recorded and _same(session, posixpath.join(folder, part), there[part].size, delivery):
        _mine(delivery, token, part_complete=True)
    elif part not in there and recorded and delivery.part_complete:
        return _delivered(delivery, token, final, "renamed before an interruption; the bank had already taken it")
    else:
        payload = _payload(delivery.file, connection)
        _mine(
            delivery,
            token,
            remote_name=final,
            encrypted=encrypt,
            payload_size=len(payload),
            payload_sha256=hashlib.sha256(payload).hexdigest(),
            part_complete=False,
        )
        session.upload(posixpath.join(folder, part), payload)
        _crash_point("after-upload")
        _mine(delivery, token, part_complete=True)
    session.rename(posixpath.join(folder, part), posixpath.join(folder, final))
    _crash_point("after-rename")
    return _delivered(delivery, token, final, "")


def _same(session: sftp.Session, path: str, size: int, delivery: FileDelivery) -> bool:
    """Whether the remote file is the upload recorded: its size, and its SHA-256 when Remit may read it
    back (many banks' upload folders are write-only; then the size has to do)."""
    if size != delivery.payload_size:
        return False
    try:
        return hashlib.sha256(session.download(path)).hexdigest() == delivery.payload_sha256
    except sftp.FolderProblem:
        return True


def _payload(record: AchFile, connection: BankConnection) -> bytes:
    """The file's bytes as written (checked against the recorded SHA-256), encrypted when the bank wants PGP."""
    try:
        data = file_bytes(record)  # the shared file store, whichever worker delivers
    except StoredFileMissing:
        raise DeliveryProblem(
            f"{record.filename} is recorded but missing from Remit's file store; it was not sent."
        ) from None
    except StoredFileChanged:
        raise DeliveryProblem(
            f"{record.filename} changed since Remit wrote it (its SHA-256 differs); it was not sent."
        ) from None
    except StoredFileUnreachable as error:
        raise DeliveryProblem(f"{record.filename} was not sent: {error}") from None
    if connection.pgp_bank_key:
        return pgp.encrypt(data, public_key=connection.pgp_bank_key)
    return data


def _delivered(delivery: FileDelivery, token: str, final: str, note: str) -> str:
    now = timezone.now()
    _mine(
        delivery,
        token,
        status=DeliveryStatus.DELIVERED,
        remote_name=final,
        delivered_at=now,
        delivery_note=note,
        lease_token="",
        lease_until=None,
        last_error="",
    )
    log.info("Delivered %s to the bank as %s%s.", delivery.file.filename, final, f" ({note})" if note else "")
    return f"delivered {delivery.file.filename} as {final}" + (f" ({note})" if note else "")


def _release(delivery: FileDelivery, token: str, error: str, *, notify: bool) -> None:
    """Back to the queue with the error and the next attempt's time; the owners are told the first time."""
    now = timezone.now()
    with transaction.atomic():
        released = FileDelivery.objects.filter(pk=delivery.pk, lease_token=token).update(
            status=DeliveryStatus.QUEUED,
            lease_token="",
            lease_until=None,
            last_error=error[:2000],
            next_attempt_at=now + retry_delay(delivery.attempts),
        )
        if not released or not notify:
            return
        first = FileDelivery.objects.filter(pk=delivery.pk, failure_notice_at__isnull=True).update(
            failure_notice_at=now
        )
        if first:
            tell_owners(
                delivery.biller,
                "bank_delivery_failed",
                {"filename": delivery.file.filename, "error": error, "retry_at": now + retry_delay(delivery.attempts)},
            )


def bank_delivery_by_hand(*, biller: Biller, actor: User, delivery_id: int) -> None:
    """An owner took a waiting file to the bank themselves: Remit must not send it too. Only a queued
    file (not one a worker is sending right now) can be marked; the history says who did it."""
    require_owner(biller, actor, message="Only an owner can mark a file as delivered by hand.")
    now = timezone.now()
    with transaction.atomic():
        marked = FileDelivery.objects.filter(pk=delivery_id, biller=biller, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.DELIVERED,
            delivered_at=now,
            delivery_note=f"taken to the bank by hand ({actor.email})",
            last_error="",
        )
        if not marked:
            raise BankConnectionError("This file is being sent right now or was delivered already; nothing changed.")
        filename = FileDelivery.objects.get(pk=delivery_id).file.filename
        BankConnectionChange.objects.create(
            biller=biller, actor=actor, actor_email=actor.email, what=f"marked {filename} as delivered by hand"
        )


# --- Late files ----------------------------------------------------------------------------------


def delivery_deadline(record: AchFile, biller: Biller) -> datetime:
    """When the bank must have the file: the biller's cut-off on the banking day before its effective
    date — or, for a file written at or after that cut-off (the worker exports at the cut-off), a
    little while after it was written."""
    zone = ZoneInfo(biller.time_zone)
    day = previous_banking_day(record.effective_date)
    cutoff = datetime.combine(day, biller.ach_cutoff_time or time(16, 0), tzinfo=zone)
    return max(cutoff, record.created_at + LATE_GRACE)


def tell_late(biller: Biller, now: datetime | None = None) -> int:
    """Email the owners, once per file, about each file still not delivered at its deadline."""
    now = now or timezone.now()
    waiting = FileDelivery.objects.filter(biller=biller, late_notice_at__isnull=True).exclude(
        status=DeliveryStatus.DELIVERED
    )
    told = 0
    for delivery in waiting.select_related("file"):
        if now < delivery_deadline(delivery.file, biller):
            continue
        with transaction.atomic():
            if not FileDelivery.objects.filter(pk=delivery.pk, late_notice_at__isnull=True).update(late_notice_at=now):
                continue
            tell_owners(
                biller,
                "bank_delivery_late",
                {
                    "filename": delivery.file.filename,
                    "error": delivery.last_error,
                    "effective_date": delivery.file.effective_date,
                },
            )
            told += 1
    return told
