"""`remit backup`: one archive (.tar.gz) holding the database, every stored file and a manifest.

The database is written model by model as Django's JSON lines (one row a line, read with
``iterator()``, so no table is held in memory), which load into SQLite or PostgreSQL alike. Content
types and permissions are not written: `remit migrate` creates them in the database restored into,
and the rows that point at them (the admin's log, permissions given to users) name them by natural
key (``["billers", "biller"]``) rather than by id, since ids differ between databases. Every other
reference is by id, as it was: a user's natural key (the e-mail address) is not unique across
billers' portals.

Members, in this order (restore reads them in one pass):

- ``database/<app>.<Model>.jsonl``: the rows, parents before children (``models_in_order``);
- ``files/<key>``: every file of ``storages["files"]``, sealed as it is stored (with
  REMIT_ENCRYPTION_KEYS, ``remit/files/sealing.py``): the archive holds no NACHA file in plaintext.
  A file stored before sealing existed is sealed on its way into the archive;
- ``manifest.json``: Remit's version, the time, the database vendor, the applied migrations, the
  rows per model and the SHA-256 and size of every other member (``remit/site/restore.py`` checks
  them all before it writes anything).

The archive is written to a temporary file readable by its owner only (it holds password hashes and
encrypted account numbers) and renamed into place when complete. The keys that decrypt the account
numbers (REMIT_ENCRYPTION_KEYS) and SECRET_KEY are deliberately not in it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, Any, cast

from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.core.serializers import jsonl
from django.db import connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from remit.files import sealing
from remit.files.store import sealed_store, walk

FORMAT = "remit-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_PREFIX = "database/"
FILES_PREFIX = "files/"
CHUNK = 1024 * 1024

# Rows `remit migrate` makes (content types, permissions) and rows of the moment (sessions: everyone
# signs in again after a restore; the worker's heartbeat). Neither backed up nor counted.
NOT_BACKED_UP = frozenset({"contenttypes.ContentType", "auth.Permission", "sessions.Session", "site.WorkerHeartbeat"})
# The database file store's own tables (REMIT_FILE_STORE=database): their files are members
# ``files/<key>`` whichever store holds them, so a backup restores into either store.
FILE_STORE_TABLES = frozenset({"files.StoredFile", "files.StoredChunk"})
# Referred to by natural key: their ids are the database's own (see the module's text).
BY_NATURAL_KEY = NOT_BACKED_UP & {"contenttypes.ContentType", "auth.Permission"}


class BackupRefused(Exception):
    """The database is not one to back up as it stands; the message says why."""


def remit_version() -> str:
    try:
        return package_version("remit")
    except PackageNotFoundError:  # pragma: no cover - a checkout run without installing
        return "unknown"


def models_in_order() -> list[type[models.Model]]:
    """Every model whose rows are backed up, each after the models it points at (a cycle, which
    Remit has none of, would keep the models' own order; the load checks references at commit)."""
    chosen = [
        model
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.label not in NOT_BACKED_UP | FILE_STORE_TABLES
    ]
    waiting = {model: _parents(model, chosen) for model in chosen}
    ordered: list[type[models.Model]] = []
    while waiting:
        ready = [model for model, parents in waiting.items() if not parents - set(ordered)] or [next(iter(waiting))]
        for model in ready:
            ordered.append(model)
            del waiting[model]
    return ordered


def _parents(model: type[models.Model], chosen: list[type[models.Model]]) -> set[type[models.Model]]:
    fields = [*model._meta.concrete_fields, *model._meta.many_to_many]
    related = {f.related_model for f in fields if f.is_relation}
    return {parent for parent in related if parent in chosen and parent is not model}  # type: ignore[misc]


def counted_tables(model: type[models.Model]) -> list[type[models.Model]]:
    """The model and the join tables of its many-to-many fields (written with the model's rows)."""
    tables = [model]
    for field in model._meta.local_many_to_many:
        through: Any = field.remote_field.through
        if through._meta.auto_created:
            tables.append(through)
    return tables


def row_counts() -> dict[str, int]:
    return {
        table._meta.label: table._base_manager.count() for model in models_in_order() for table in counted_tables(model)
    }


def migrations_pending() -> bool:
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


class RowSerializer(jsonl.Serializer):
    """Django's JSON lines (the same lines), with natural keys only for content types and permissions."""

    def handle_fk_field(self, obj: models.Model, field: Any) -> None:
        self.use_natural_foreign_keys = field.related_model._meta.label in BY_NATURAL_KEY
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj: models.Model, field: Any) -> None:
        self.use_natural_foreign_keys = field.related_model._meta.label in BY_NATURAL_KEY
        super().handle_m2m_field(obj, field)

    def end_object(self, obj: models.Model) -> None:
        # One write a row, and json.dumps (in C) rather than json.dump (in Python, dozens of writes a row).
        self.stream.write(json.dumps(self.get_dump_object(obj), **self.json_kwargs) + "\n")
        self._current = None


class _Member:
    """A member being assembled: spooled in memory (on disk past 16 MB), hashed as written."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: str | bytes) -> int:
        raw = data.encode() if isinstance(data, str) else data
        self.file.write(raw)
        self.digest.update(raw)
        self.size += len(raw)
        return len(data)


@dataclass
class Written:
    path: Path
    manifest: dict[str, Any]


def backup_write(*, output: Path, progress: Callable[[str], None] = lambda line: None) -> Written:
    """Write the archive to ``output`` (atomically, owner-only) and return its manifest."""
    if migrations_pending():
        raise BackupRefused(
            "The database lacks migrations this Remit has: run `remit migrate` first (a backup is restored "
            "by a Remit with the same migrations)."
        )
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            members: dict[str, dict[str, Any]] = {}
            database = _add_database(tar, members, progress)
            _add_stored_files(tar, members, progress)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "remit_version": remit_version(),
                "created_at": timezone.now().isoformat(),
                **database,
                "members": members,
            }
            _add(tar, MANIFEST, [json.dumps(manifest, indent=1, sort_keys=False).encode()])
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Written(path=output, manifest=manifest)


def _add_database(
    tar: tarfile.TarFile, members: dict[str, dict[str, Any]], progress: Callable[[str], None]
) -> dict[str, Any]:
    """Every table, read in one snapshot: a repeatable-read transaction on PostgreSQL (writers carry
    on), the write lock on SQLite (writers wait until the rows are read)."""
    outermost = not connection.in_atomic_block  # (inside a test's transaction, its snapshot is the one)
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        tables: list[dict[str, Any]] = []
        for model in models_in_order():
            name = f"{DATABASE_PREFIX}{model._meta.label}.jsonl"
            member = _Member()
            rows = model._base_manager.order_by("pk")
            RowSerializer().serialize(rows.iterator(chunk_size=2000), stream=cast("IO[str]", member))
            _add_spooled(tar, name, member, members)
            tables.append({"model": model._meta.label, "member": name})
        counts = row_counts()
        migrations = applied_migrations()
    progress(f"Database: {sum(counts.values())} row(s) in {len(counts)} table(s).")
    return {"database_vendor": connection.vendor, "migrations": migrations, "tables": tables, "row_counts": counts}


def _add_stored_files(
    tar: tarfile.TarFile, members: dict[str, dict[str, Any]], progress: Callable[[str], None]
) -> None:
    storage = sealed_store(storages["files"])  # the sealed bytes, as they are: no key needed
    count = 0
    for key in walk(storage):
        with storage.open(key, "rb") as stored:
            raw = bytes(stored.read())
        if not sealing.is_sealed(raw):  # stored before sealing existed: no plaintext in the archive
            raw = sealing.seal(raw)
        _add(tar, FILES_PREFIX + key, [raw], members)
        count += 1
    progress(f"Stored files: {count} (sealed with REMIT_ENCRYPTION_KEYS).")


def chunks_of(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def _add(tar: tarfile.TarFile, name: str, chunks: Iterable[bytes], members: dict | None = None) -> None:
    member = _Member()
    for chunk in chunks:
        member.write(chunk)
    _add_spooled(tar, name, member, members)


def _add_spooled(tar: tarfile.TarFile, name: str, member: _Member, members: dict | None) -> None:
    info = tarfile.TarInfo(name)
    info.size = member.size
    info.mode = 0o600
    info.mtime = int(time.time())
    member.file.seek(0)
    tar.addfile(info, member.file)
    member.file.close()
    if members is not None:
        members[name] = {"sha256": member.digest.hexdigest(), "size": member.size}


def default_output() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%SZ")
    return Path(settings.DATA_DIR) / "backups" / f"remit-backup-{stamp}.tar.gz"


def secrets_reminder() -> str:
    """What the backup doesn't hold, and where this install reads it from."""
    lines = [
        "NOT in this backup: the encryption keys (REMIT_ENCRYPTION_KEYS) and SECRET_KEY.",
        "Without the same encryption keys, the bank account numbers and bank connection secrets in it",
        "cannot be read; without the same SECRET_KEY, the links in emails already sent stop working.",
        "Keep both somewhere safe (a password manager, a secrets store), apart from the backups. In this install:",
    ]
    for name in ("REMIT_ENCRYPTION_KEYS", "SECRET_KEY"):
        lines.append(f"  {name}: {secret_source(name)}")
    return "\n".join(lines)


def secret_source(name: str) -> str:
    """Where ``name`` comes from here: the environment, or the file generated for development."""
    if os.environ.get(name, "").strip():
        return "from the environment (e.g. the environment file your service manager reads)"
    return f"from the file {Path(settings.DATA_DIR) / 'secrets' / name.lower()} (generated for development)"
