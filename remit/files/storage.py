"""``DatabaseStorage``: a Django storage backend that keeps files in Remit's own database
(REMIT_FILE_STORE=database, the default). Every instance that reaches the database reads the same
files, with no other server to run, and a file written inside a transaction exists exactly when that
transaction commits: the NACHA export writes its file in its own transaction (``ach.stored``).

Keys are relative paths (``ach/outbound/<filename>``). Saving under a key that exists replaces that
file, as django-storages' S3 backend does with ``file_overwrite`` (Remit's keys are chosen, never
renamed). ``listdir`` answers folders and files of one level, as a file system does, so a backup can
walk the store.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
from datetime import datetime
from typing import IO, Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from django.utils.deconstruct import deconstructible

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
