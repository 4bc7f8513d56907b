"""``DatabaseStorage``: a Django storage backend that keeps files in Remit's own database
(REMIT_FILE_STORE=database, the default). Every instance that reaches the database reads the same
files, with no other server to run, and a file written inside a transaction exists exactly when that
transaction commits: the NACHA export writes its file in its own transaction (``ach.stored``).

Keys are relative paths (``ach/outbound/<filename>``). Saving under a key that exists replaces that
file, as django-storages' S3 backend does with ``file_overwrite`` (Remit's keys are chosen, never
renamed). ``listdir`` answers folders and files of one level, as a file system does, so a backup can
walk the store.

``SealedStorage`` is what ``storages["files"]`` is, whichever store holds the bytes: it seals every
file with REMIT_ENCRYPTION_KEYS on the way in and opens it on the way out (``sealing``), around the
store named in its options (``DatabaseStorage`` or django-storages' ``S3Storage``), which it exposes
as ``sealed_store`` for what moves sealed bytes as they are (backup, restore).
"""

from __future__ import annotations

import hashlib
import io
import posixpath
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import IO, Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.module_loading import import_string

from remit.files import sealing
from remit.files.models import CHUNK_BYTES, StoredChunk, StoredFile


def clean_key(name: str) -> str:
    """``name`` as a store key: a relative POSIX path without ``.`` or ``..`` parts."""
    key = posixpath.normpath(str(name).replace("\\", "/")).lstrip("/")
    if key in {"", "."} or key == ".." or key.startswith("../"):
        raise SuspiciousFileOperation(f"{name!r} is not a file's key in the store (a relative path such as ach/x).")
    return key


@deconstructible
class DatabaseStorage(Storage):
    """Files as rows of ``files.StoredFile`` and ``files.StoredChunk`` (see the module's text)."""

    # Writes join the caller's transaction: the export relies on it (``ach.stored``).
    atomic_with_database = True

    def __init__(self, **options: Any) -> None:
        self.options = options

    # --- Writing -------------------------------------------------------------------------------
    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        key = clean_key(name)
        if max_length is not None and len(key) > max_length:
            raise SuspiciousFileOperation(f"{key!r} is longer than {max_length} characters.")
        return key

    def _save(self, name: str, content: File) -> str:
        key = clean_key(name)
        now = timezone.now()
        with transaction.atomic():
            StoredFile.objects.filter(name=key).delete()
            stored = StoredFile.objects.create(name=key, created_at=now, modified_at=now)
            digest, size = hashlib.sha256(), 0
            if hasattr(content, "seek") and getattr(content, "seekable", lambda: True)():
                content.seek(0)
            for number, data in enumerate(_pieces(content)):
                digest.update(data)
                size += len(data)
                StoredChunk.objects.create(file=stored, number=number, data=data)
            StoredFile.objects.filter(pk=stored.pk).update(size=size, sha256=digest.hexdigest())
        return key

    def delete(self, name: str) -> None:
        StoredFile.objects.filter(name=clean_key(name)).delete()

    # --- Reading -------------------------------------------------------------------------------
    def _open(self, name: str, mode: str = "rb") -> File:
        if mode not in {"r", "rb"}:
            raise ValueError(f"The database file store opens files for reading only (not {mode!r}).")
        stored = self._row(name)
        reader = io.BufferedReader(_ChunkReader(stored.pk), buffer_size=CHUNK_BYTES)
        handle = File(reader, name=stored.name)
        handle.size = stored.size
        handle.mode = "rb"
        return handle

    def exists(self, name: str) -> bool:
        return StoredFile.objects.filter(name=clean_key(name)).exists()

    def size(self, name: str) -> int:
        return self._row(name).size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        folder = "" if path in {"", ".", "/"} else clean_key(path) + "/"
        directories: set[str] = set()
        files: list[str] = []
        for name in StoredFile.objects.filter(name__startswith=folder).values_list("name", flat=True):
            rest = name[len(folder) :]
            head, slash, _ = rest.partition("/")
            if slash:
                directories.add(head)
            else:
                files.append(rest)
        return sorted(directories), sorted(files)

    def get_modified_time(self, name: str) -> datetime:
        return self._row(name).modified_at

    def get_created_time(self, name: str) -> datetime:
        return self._row(name).created_at

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Files in the database store have no URL: Remit serves them through its pages.")

    @contextmanager
    def locked(self, name: str) -> Iterator[None]:
        """A transaction holding the file's row locked: nothing replaces it meanwhile (``reseal``)."""
        with transaction.atomic():
            list(StoredFile.objects.select_for_update().filter(name=clean_key(name)).values_list("pk", flat=True))
            yield

    def _row(self, name: str) -> StoredFile:
        stored = StoredFile.objects.filter(name=clean_key(name)).first()
        if stored is None:
            raise FileNotFoundError(f"{name} is not in the file store.")
        return stored


def _pieces(content: IO[bytes] | File) -> Any:
    """The content in pieces of at most ``CHUNK_BYTES`` (bytes, even from a text file)."""
    while True:
        data = content.read(CHUNK_BYTES)
        if not data:
            return
        yield data.encode() if isinstance(data, str) else bytes(data)


class _ChunkReader(io.RawIOBase):
    """A stored file's bytes, read a chunk at a time as they are asked for."""

    def __init__(self, file_id: int) -> None:
        self.file_id = file_id
        self.number = 0
        self.left = b""
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.left and not self.done:
            row = StoredChunk.objects.filter(file_id=self.file_id, number=self.number).values_list("data", flat=True)
            data = row.first()
            if data is None:
                self.done = True
            else:
                self.left = bytes(data)
                self.number += 1
        size = min(len(buffer), len(self.left))
        buffer[:size] = self.left[:size]
        self.left = self.left[size:]
        return size


@deconstructible
class SealedStorage(Storage):
    """``storages["files"]``: the store ``backend`` (built with ``options``) holding every file sealed
    with REMIT_ENCRYPTION_KEYS (see ``sealing``). Callers read and write plaintext; ``size`` is the
    plaintext's (it opens the file). ``sealed_store`` is the store itself, for sealed bytes as they are."""

    def __init__(self, backend: str = "remit.files.storage.DatabaseStorage", options: dict | None = None) -> None:
        self.backend = backend
        self.options = dict(options or {})
        self.sealed_store: Storage = import_string(backend)(**self.options)

    @property
    def atomic_with_database(self) -> bool:
        return bool(getattr(self.sealed_store, "atomic_with_database", False))

    # --- Writing -------------------------------------------------------------------------------
    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.sealed_store.get_available_name(name, max_length=max_length)

    def _save(self, name: str, content: File) -> str:
        if hasattr(content, "seek") and getattr(content, "seekable", lambda: True)():
            content.seek(0)
        data = content.read()
        plain = data.encode() if isinstance(data, str) else bytes(data)
        return self.sealed_store.save(name, File(io.BytesIO(sealing.seal(plain)), name=name))

    def delete(self, name: str) -> None:
        self.sealed_store.delete(name)

    # --- Reading -------------------------------------------------------------------------------
    def _open(self, name: str, mode: str = "rb") -> File:
        if mode not in {"r", "rb"}:
            raise ValueError(f"Stored files are opened for reading only (not {mode!r}).")
        plain = sealing.unseal(self.raw(name), name=name)
        handle = File(io.BytesIO(plain), name=name)
        handle.size = len(plain)
        handle.mode = "rb"
        return handle

    def raw(self, name: str) -> bytes:
        """The bytes as stored (sealed, or plaintext stored before sealing existed)."""
        with self.sealed_store.open(name, "rb") as stored:
            return bytes(stored.read())

    def exists(self, name: str) -> bool:
        return self.sealed_store.exists(name)

    def size(self, name: str) -> int:
        with self.open(name, "rb") as handle:
            return int(handle.size)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.sealed_store.listdir(path)

    def get_modified_time(self, name: str) -> datetime:
        return self.sealed_store.get_modified_time(name)

    def get_created_time(self, name: str) -> datetime:
        return self.sealed_store.get_created_time(name)

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Stored files are sealed and have no URL: Remit serves them through its pages.")

    # --- Keys ------------------------------------------------------------------------------------
    def reseal(self, name: str) -> str:
        """Seal ``name`` with the first key of REMIT_ENCRYPTION_KEYS unless it is already: "current"
        (nothing to do), "sealed" (it was plaintext), "resealed" (it was sealed with another key) or
        "gone" (deleted meanwhile). The database store holds the file's row locked meanwhile.
        Raises ``sealing.SealedFileUnreadable`` when no configured key opens it."""
        locked = getattr(self.sealed_store, "locked", None)
        with locked(name) if locked else nullcontext():
            try:
                raw = self.raw(name)
            except FileNotFoundError:
                return "gone"
            if sealing.under_first_key(raw):
                return "current"
            plain = sealing.unseal(raw, name=name)
            self.sealed_store.save(name, File(io.BytesIO(sealing.seal(plain)), name=name))
            return "resealed" if sealing.is_sealed(raw) else "sealed"
