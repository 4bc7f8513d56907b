"""Where ACH files live: the shared file store (``remit.files``), under these keys —

- ``ach/outbound/<filename>``: each recorded NACHA file (``AchFile``), what the console downloads and
  what is delivered to the bank;
- ``ach/partial/<biller id>/<filename>``: with a store that can't join a database transaction (S3),
  a file written before its export committed, until it is published (see ``ach.export``);
- ``ach/inbound/<sha256>-<filename>``: the bytes of each imported return/NOC file (``InboundFile``).

Every read is checked against the SHA-256 the database recorded. Nothing here reads the local disk:
any web or worker instance serves any file. An operator who wants a local folder as well sets
REMIT_ACH_OUTBOUND_DIR (a copy of each file is written there after its export commits) or runs
``remit files export DIR``.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.text import get_valid_filename

from remit.ach.models import AchFile
from remit.billers.models import Biller
from remit.files.store import (
    StoredFileChanged,
    StoredFileMissing,
    StoredFileUnopened,
    StoredFileUnreachable,
    atomic_with_database,
    file_store,
    open_checked,
    read_checked,
    write_copy,
)

log = logging.getLogger(__name__)

OUTBOUND = "ach/outbound"
INBOUND = "ach/inbound"
PARTIAL = "ach/partial"

__all__ = [
    "StoredFileChanged",
    "StoredFileMissing",
    "StoredFileUnopened",
    "StoredFileUnreachable",
    "file_bytes",
    "file_text",
    "open_file",
]


def outbound_key(filename: str) -> str:
    return f"{OUTBOUND}/{filename}"


def partial_key(biller_id: int, filename: str) -> str:
    return f"{PARTIAL}/{biller_id}/{filename}"


def inbound_key(sha256: str, filename: str) -> str:
    name = get_valid_filename(posixpath.basename(filename.replace("\\", "/")) or "returns") or "returns"
    return f"{INBOUND}/{sha256}-{name}"[:300]


def written_in_transaction(store: Storage | None = None) -> bool:
    """Whether the export writes its file straight to ``ach/outbound/`` in its own transaction (the
    database store), rather than to ``ach/partial/`` first (a store outside the database)."""
    return atomic_with_database(store or file_store())


# --- Reading -------------------------------------------------------------------------------------
def open_file(record: AchFile) -> IO[bytes]:
    """The recorded file's bytes (a temporary copy, from its start), checked against its SHA-256.
    Raises ``StoredFileMissing``, ``StoredFileChanged`` or ``StoredFileUnreachable``. A file whose
    export committed a moment ago may still be under ``ach/partial/`` (a store outside the database):
    it is read there."""
    store = file_store()
    try:
        return open_checked(outbound_key(record.filename), record.sha256, store=store)
    except StoredFileMissing:
        if written_in_transaction(store):
            raise
    try:
        return open_checked(partial_key(record.biller_id, record.filename), record.sha256, store=store)
    except StoredFileMissing:  # published between the two reads
        return open_checked(outbound_key(record.filename), record.sha256, store=store)


def file_bytes(record: AchFile) -> bytes:
    with open_file(record) as handle:
        return handle.read()


def file_text(record: AchFile) -> str:
    return file_bytes(record).decode("ascii")


# --- A store outside the database: publish after the commit, recover after a crash ---------------
def publish(record: AchFile) -> None:
    """Move a recorded file from ``ach/partial/`` to ``ach/outbound/`` (its SHA-256 checked). Another
    export's recovery may have done it first: then it is done."""
    store = file_store()
    final, temp = outbound_key(record.filename), partial_key(record.biller_id, record.filename)
    try:
        data = read_checked(temp, record.sha256, store=store)
    except StoredFileMissing:
        if store.exists(final):
            return
        log.critical("%s is recorded but exists nowhere: its payments are marked sent.", record.filename)
        raise
    store.save(final, ContentFile(data))
    store.delete(temp)


def recover_partial(biller: Biller) -> None:
    """Finish what a crash interrupted, for this biller only. Call it with the biller's ACH settings
    row locked: then no export of this biller is writing, and every file under its ``ach/partial/``
    is a leftover. A recorded one is published (its SHA-256 checked first); one that was never
    recorded is deleted (its export rolled back, so its payments are still scheduled). With the
    database store there is never a leftover: the file and its record commit together."""
    store = file_store()
    if written_in_transaction(store):
        return
    folder = f"{PARTIAL}/{biller.pk}"
    for name in sorted(store.listdir(folder)[1]):
        record = AchFile.objects.filter(biller=biller, filename=name).first()
        if record is None:
            log.warning("Deleting %s: its export did not commit, so its payments are still scheduled.", name)
            store.delete(f"{folder}/{name}")
            continue
        try:
            publish(record)
        except StoredFileChanged:
            log.error("%s/%s does not match its recorded SHA-256; left as it is for an operator.", folder, name)
        except StoredFileMissing:
            continue  # its own export published it after committing, a moment ago
        else:
            log.warning("Finished publishing %s after an interrupted export.", record.filename)


def copy_to_outbound_dir(record: AchFile) -> None:
    """REMIT_ACH_OUTBOUND_DIR set: a copy of the file there too, for an operator who wants a local
    folder (the store keeps the file Remit uses; a failed copy is logged, and changes nothing)."""
    folder = settings.REMIT_ACH_OUTBOUND_DIR
    if not folder:
        return
    try:
        write_copy(Path(folder) / record.filename, file_bytes(record))
    except (OSError, StoredFileMissing, StoredFileChanged, StoredFileUnreachable) as error:
        log.error("Could not copy %s to %s (%s); it is in the file store all the same.", record.filename, folder, error)


def import_outbound(folder: Path) -> tuple[int, int, int]:
    """Recorded files missing from the store, taken from ``folder`` (where Remit wrote them before it
    had a store) when their SHA-256 is the recorded one. Returns (stored, missing, changed)."""
    store = file_store()
    stored = missing = changed = 0
    for record in AchFile.objects.order_by("pk").iterator():
        if store.exists(outbound_key(record.filename)):
            continue
        path = folder / record.filename
        if not path.is_file():
            missing += 1
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != record.sha256:
            changed += 1
            continue
        store.save(outbound_key(record.filename), ContentFile(data))
        stored += 1
    return stored, missing, changed
