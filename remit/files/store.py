"""The file store every instance shares: ``storages["files"]`` (settings: REMIT_FILE_STORE), and the
few things Remit does with it — read a file checked against its recorded SHA-256, walk every key,
write what it holds out to a folder (``remit files export``).

Which store it is (docs/architecture.md, "What lives where"):

- ``database`` (the default): ``storage.DatabaseStorage``, rows of Remit's own database. A write joins
  the caller's transaction (``atomic_with_database``).
- ``s3``: django-storages' ``S3Storage`` on any S3-compatible server. A write is done when the call
  returns, whatever happens to the caller's transaction: whoever writes must say what a crash leaves
  (``ach.stored`` does).

Either way ``storages["files"]`` is a ``storage.SealedStorage`` around it: every file is sealed with
REMIT_ENCRYPTION_KEYS (``sealing``); ``sealed_store`` gives the store of sealed bytes, ``reseal_all``
seals every file with the first key (`remit rotate_keys`).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.core.files.storage import Storage, storages

from remit.files.sealing import SealedFileUnreadable

READ_BYTES = 1024 * 1024


class StoredFileMissing(Exception):
    """The key is not in the store."""


class StoredFileChanged(Exception):
    """The stored bytes are not the ones recorded (their SHA-256 differs)."""


class StoredFileUnreachable(Exception):
    """The store did not answer (an S3 server down or refusing Remit's keys, the database gone)."""


class StoredFileUnopened(StoredFileUnreachable):
    """No key in REMIT_ENCRYPTION_KEYS opens the sealed file (or its sealed bytes were altered)."""


def file_store() -> Storage:
    return storages["files"]


def atomic_with_database(store: Storage) -> bool:
    """Whether a write to ``store`` commits or rolls back with the database transaction around it."""
    return bool(getattr(store, "atomic_with_database", False))


def open_checked(key: str, sha256: str, *, store: Storage | None = None) -> IO[bytes]:
    """The file at ``key``, copied into a temporary file (memory stays flat) and returned from its
    start only if its SHA-256 is ``sha256``: what Remit hands a bank or a biller is what it recorded."""
    store = store or file_store()
    copy = tempfile.TemporaryFile()  # noqa: SIM115 (returned open) owner-only and unnamed: gone when closed
    digest = hashlib.sha256()
    try:
        try:
            source = store.open(key, "rb")
            with source:
                while data := source.read(READ_BYTES):
                    digest.update(data)
                    copy.write(data)
        except FileNotFoundError:
            raise StoredFileMissing(f"{key} is not in the file store.") from None
        except SealedFileUnreadable as error:
            raise StoredFileUnopened(str(error)) from None
        except Exception as error:
            # Whatever the backend raises (botocore's errors, a database error): one kind, said plainly.
            reason = " ".join(str(error).split()) or type(error).__name__
            raise StoredFileUnreachable(f"The file store could not be read ({reason}).") from error
        if digest.hexdigest() != sha256:
            raise StoredFileChanged(f"{key} is not the file recorded (its SHA-256 differs).")
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return copy


def read_checked(key: str, sha256: str, *, store: Storage | None = None) -> bytes:
    with open_checked(key, sha256, store=store) as handle:
        return handle.read()


def walk(store: Storage | None = None, prefix: str = "") -> Iterator[str]:
    """Every key under ``prefix`` (all of them by default), folder by folder, in order. A folder that
    isn't there (or went away meanwhile, as a published partial file's does) holds nothing."""
    store = store or file_store()
    try:
        directories, files = store.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(files):
        yield posixpath.join(prefix, name) if prefix else name
    for name in sorted(directories):
        yield from walk(store, posixpath.join(prefix, name) if prefix else name)


def write_copy(path: Path, data: bytes) -> None:
    """``data`` at ``path``, owner-only (0600: NACHA files hold account numbers), never half-written:
    written beside it, fsynced, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.part")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def export_to(directory: Path, *, prefix: str = "", store: Storage | None = None) -> tuple[int, int]:
    """Write every file under ``prefix`` to ``directory``/<key>. Files already there with the same
    bytes are left alone. Returns (written, unchanged)."""
    store = store or file_store()
    written = unchanged = 0
    root = directory.resolve()
    for key in walk(store, prefix):
        target = (root / key).resolve()
        if not target.is_relative_to(root):
            continue  # a key can't climb out of the folder (keys are relative; this is belt and braces)
        with store.open(key, "rb") as source:
            data = source.read()
        if target.is_file() and target.read_bytes() == data:
            unchanged += 1
            continue
        write_copy(target, data)
        written += 1
    return written, unchanged


def sealed_store(store: Storage | None = None) -> Storage:
    """The store of sealed bytes under ``store`` (``storages["files"]`` by default): what a backup
    archives and a restore writes back, as they are, without the keys."""
    store = store or file_store()
    return getattr(store, "sealed_store", store)


def unopened_keys(store: Storage | None = None) -> list[str]:
    """The stored files no configured key opens (each read whole: their sealed bytes are checked)."""
    store = store or file_store()
    unopened = []
    for key in walk(store):
        try:
            with store.open(key, "rb"):
                pass
        except SealedFileUnreadable:
            unopened.append(key)
        except FileNotFoundError:
            continue  # deleted meanwhile
    return unopened


def reseal_all(store: Storage | None = None) -> dict[str, int]:
    """Seal every stored file with the first key of REMIT_ENCRYPTION_KEYS (one file at a time, each
    replaced whole; a second run changes nothing). Returns how many were "sealed" (plaintext, stored
    before sealing existed), "resealed" (another key), "current" and "gone"."""
    store = store or file_store()
    reseal = getattr(store, "reseal", None)
    if reseal is None:
        raise TypeError(f"{type(store).__name__} does not seal its files (storages['files'] is a SealedStorage).")
    counts = {"sealed": 0, "resealed": 0, "current": 0, "gone": 0}
    for key in walk(store):
        counts[reseal(key)] += 1
    return counts
