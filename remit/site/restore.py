"""`remit restore PATH`: an archive of `remit backup` (``remit/site/backup.py``) into an empty database.

1. ``archive_verify`` reads the whole archive once: every member must be listed in the manifest with
   its SHA-256 and size, and every listed member present. A truncated, damaged or altered archive is
   refused before anything is written.
2. ``restore_refusal`` checks the database: the archive's migrations must be exactly the ones this
   Remit has (restore with the version that made the backup, then upgrade), and no table may hold
   a row. Missing tables are created first (`remit migrate`).
3. ``archive_restore`` reads the archive again and, in one transaction, inserts the rows (as they
   were, ids included), resets PostgreSQL's sequences past the highest ids, writes the stored files
   into ``storages["files"]`` (whichever store this installation has), and compares every table's rows
   with the manifest's counts; any difference rolls the whole load back.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast

from django.apps import apps
from django.core import serializers
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.jsonl import Deserializer
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.loader import MigrationLoader

from remit.files import sealing
from remit.files.store import sealed_store
from remit.lib import crypto
from remit.site.backup import (
    CHUNK,
    DATABASE_PREFIX,
    FILES_PREFIX,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    counted_tables,
    migrations_pending,
    models_in_order,
    row_counts,
)

MANIFEST_LIMIT = 64 * 1024 * 1024
INSERT_BATCH = 500
BANK_ACCOUNTS = f"{DATABASE_PREFIX}payments.BankAccount.jsonl"


class RestoreRefused(Exception):
    """The archive or the database is not one to restore (into); the message says why."""


@dataclass
class Archive:
    path: Path
    manifest: dict[str, Any]
    account_number_token: str  # an encrypted account number from the backup ("" when it has none)
    # Each stored file's plaintext SHA-256 (``files/<key>``: the keys opened it), and those they did not open.
    files_plain_sha256: dict[str, str] = field(default_factory=dict)
    files_unopened: list[str] = field(default_factory=list)

    @property
    def members(self) -> dict[str, dict[str, Any]]:
        return dict(self.manifest["members"])


def archive_verify(path: Path) -> Archive:
    """Read every member, check it against the manifest, and return the archive (see the module's text)."""
    if not path.is_file():
        raise RestoreRefused(f"{path} is not a file.")
    found: dict[str, dict[str, Any]] = {}
    manifest_bytes: bytes | None = None
    token = ""
    plain: dict[str, str] = {}
    unopened: list[str] = []
    try:
        with tarfile.open(path, "r|gz") as tar:
            for info in tar:
                if not info.isreg():
                    raise RestoreRefused(f"{path} holds {info.name!r}, which is not a plain file: not a Remit backup.")
                if info.name in found or (info.name == MANIFEST and manifest_bytes is not None):
                    raise RestoreRefused(f"{path} holds {info.name!r} twice: not an archive `remit backup` wrote.")
                stream = tar.extractfile(info)
                assert stream is not None  # a plain file
                if info.name == MANIFEST:
                    manifest_bytes = stream.read(MANIFEST_LIMIT)
                    continue
                if info.name.startswith(FILES_PREFIX):  # read whole, as the store opens it (sealing.py)
                    data = stream.read()
                    _open_member(info.name, data, plain, unopened)
                    digest, size, first_line = _digest(io.BytesIO(data))
                else:
                    digest, size, first_line = _digest(stream)
                found[info.name] = {"sha256": digest, "size": size}
                if info.name == BANK_ACCOUNTS and first_line:
                    token = _account_number_token(first_line)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise RestoreRefused(f"{path} is damaged or cut short ({error}). Nothing was restored.") from None
    manifest = _manifest(path, manifest_bytes)
    _compare(path, manifest["members"], found)
    return Archive(
        path=path, manifest=manifest, account_number_token=token, files_plain_sha256=plain, files_unopened=unopened
    )


def _open_member(name: str, data: bytes, plain: dict[str, str], unopened: list[str]) -> None:
    """The stored file's plaintext SHA-256 when the keys open it (a file already in the store with
    other sealed bytes but the same plaintext is the same file), else its name among the unopened."""
    try:
        plain[name] = hashlib.sha256(sealing.unseal(data, name=name)).hexdigest()
    except sealing.SealedFileUnreadable:
        unopened.append(name)


def _digest(stream: IO[bytes]) -> tuple[str, int, bytes]:
    digest, size, first = hashlib.sha256(), 0, b""
    while chunk := stream.read(CHUNK):
        if size == 0:
            first = chunk.split(b"\n", 1)[0]
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size, first


def _account_number_token(line: bytes) -> str:
    try:
        return str(json.loads(line)["fields"]["account_number_encrypted"])
    except (ValueError, KeyError, TypeError):
        return ""


def _manifest(path: Path, raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        raise RestoreRefused(f"{path} has no {MANIFEST}: not a Remit backup, or cut short. Nothing was restored.")
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise RestoreRefused(f"{path}: its {MANIFEST} is not JSON. Nothing was restored.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreRefused(f"{path} is not a Remit backup (its {MANIFEST} says nothing of one).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise RestoreRefused(
            f"{path} is a Remit backup of format {manifest.get('format_version')}, which this Remit "
            f"(format {FORMAT_VERSION}) does not read. Restore it with the Remit that made it "
            f"({manifest.get('remit_version')})."
        )
    if not all(isinstance(manifest.get(key), dict | list) for key in ("migrations", "tables", "row_counts", "members")):
        raise RestoreRefused(f"{path}: its {MANIFEST} lacks the migrations, tables, row counts or members.")
    for name in manifest["members"]:
        _check_name(path, name)
    _check_tables(path, manifest)
    return manifest


def _check_tables(path: Path, manifest: dict[str, Any]) -> None:
    """Every database member names a model of this Remit's."""
    tables = {entry["member"]: entry["model"] for entry in manifest["tables"]}
    for name in manifest["members"]:
        if name.startswith(DATABASE_PREFIX) and name not in tables:
            raise RestoreRefused(f"{path}: {name} is in no table of its {MANIFEST}.")
    for label in tables.values():
        try:
            apps.get_model(label)
        except (LookupError, ValueError):
            raise RestoreRefused(f"{path} holds rows of {label}, which this Remit does not have.") from None


def _check_name(path: Path, name: str) -> None:
    """Member names become storage keys and paths: nothing outside where they belong."""
    parts = PurePosixPath(name).parts
    safe = bool(parts) and not name.startswith("/") and not {"..", "."} & set(parts) and "\\" not in name
    if not name.startswith((DATABASE_PREFIX, FILES_PREFIX)):
        safe = False
    if not safe:
        raise RestoreRefused(f"{path} lists a member Remit does not restore: {name!r}. Nothing was restored.")


def _compare(path: Path, listed: dict[str, dict[str, Any]], found: dict[str, dict[str, Any]]) -> None:
    problems = [f"{name}: missing" for name in listed if name not in found]
    problems += [f"{name}: not in the manifest" for name in found if name not in listed]
    problems += [
        f"{name}: its SHA-256 or size differs from the manifest's"
        for name, facts in found.items()
        if name in listed and (facts["sha256"], facts["size"]) != (listed[name]["sha256"], listed[name]["size"])
    ]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise RestoreRefused(
            f"{path} does not match its manifest ({shown}): it was altered or damaged after `remit backup` "
            "wrote it. Nothing was restored."
        )


# --- The database restored into -------------------------------------------------------------------


def migrations_mismatch(manifest: dict[str, Any]) -> str:
    """Why this Remit's migrations are not the backup's ("" when they are the same)."""
    code = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    backup = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    newer, older = sorted(backup - code), sorted(code - backup)
    made_by = f"Remit {manifest.get('remit_version')}"
    if newer:
        named = ", ".join(f"{app}.{name}" for app, name in newer[:3])
        return (
            f"The backup was made by {made_by}, whose database has migrations this Remit lacks ({named}"
            f"{', …' if len(newer) > 3 else ''}): restore it with {made_by} or newer."
        )
    if older:
        named = ", ".join(f"{app}.{name}" for app, name in older[:3])
        return (
            f"The backup was made by {made_by}, before migrations this Remit has ({named}"
            f"{', …' if len(older) > 3 else ''}): restore it with {made_by}, then upgrade Remit "
            "(its `remit migrate` brings the restored data along)."
        )
    return ""


def tables_with_rows() -> list[str]:
    """The backed-up tables that exist here and hold rows, as "label (n rows)"."""
    existing = set(connection.introspection.table_names())
    found = []
    for model in models_in_order():
        for table in counted_tables(model):
            if table._meta.db_table in existing and (count := table._base_manager.count()):
                found.append(f"{table._meta.label} ({count} row{'s' if count != 1 else ''})")
    return found


def restore_refusal(archive: Archive) -> str:
    """Why the archive can't go into this database as it stands ("" when it can)."""
    if mismatch := migrations_mismatch(archive.manifest):
        return mismatch
    if rows := tables_with_rows():
        shown = ", ".join(rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
        return (
            f"The database {_database_name()} is not empty: {shown}. `remit restore` only fills an empty "
            "database; create a new one (and point DATABASE_URL at it), then run `remit restore` again."
        )
    if migrations_pending():  # the database store's tables may not exist yet: asked again after migrate
        return ""
    return _file_conflicts(archive)


def _database_name() -> str:
    return str(connection.settings_dict["NAME"])


def migrate(say: Callable[[str], None]) -> None:
    if migrations_pending():
        say("Creating the tables (remit migrate)…")
        call_command("migrate", interactive=False, verbosity=0)


def _file_conflicts(archive: Archive) -> str:
    """Files already where the archive's go, with other contents. The same file is left as it is:
    the same sealed bytes, or the same plaintext sealed again since (`remit rotate-keys`)."""
    store = storages["files"]
    clashing = []
    for name, facts in archive.members.items():
        if name.startswith(FILES_PREFIX) and sealed_store(store).exists(key := name[len(FILES_PREFIX) :]):
            with sealed_store(store).open(key, "rb") as stored:
                same = _digest(stored)[0] == facts["sha256"]
            if not same and name in archive.files_plain_sha256:
                same = _plain_sha256(store, key) == archive.files_plain_sha256[name]
            if not same:
                clashing.append(f"{key} in the stored files")
    if not clashing:
        return ""
    return f"Files the backup holds already exist with other contents: {', '.join(clashing[:5])}. Nothing was restored."


def _plain_sha256(store: Storage, key: str) -> str:
    """The SHA-256 of the stored file's plaintext ("" when the keys don't open it)."""
    try:
        with store.open(key, "rb") as stored:
            return _digest(stored)[0]
    except sealing.SealedFileUnreadable:
        return ""


# --- Loading ------------------------------------------------------------------------------------------


@dataclass
class Restored:
    rows: int
    tables: int
    files: int


def archive_restore(archive: Archive, say: Callable[[str], None]) -> Restored:
    """Load the archive into the (empty, migrated) database in one transaction; see the module's text."""
    tables = {entry["member"]: entry["model"] for entry in archive.manifest["tables"]}
    started = time.monotonic()
    try:
        files = _load(archive, tables)
    except DatabaseError as error:
        raise RestoreRefused(f"The database refused the backup's rows ({error}); the load was rolled back.") from None
    counts = archive.manifest["row_counts"]
    seconds = time.monotonic() - started
    say(f"Restored {sum(counts.values())} row(s) in {len(counts)} table(s) and {files} file(s) in {seconds:.1f} s.")
    return Restored(rows=sum(counts.values()), tables=len(counts), files=files)


def _load(archive: Archive, tables: dict[str, str]) -> int:
    files = 0
    with transaction.atomic(), tarfile.open(archive.path, "r|gz") as tar:
        for info in tar:
            if info.name == MANIFEST:
                continue
            stream = tar.extractfile(info)
            assert stream is not None
            expected = archive.members[info.name]["sha256"]
            if info.name.startswith(DATABASE_PREFIX):
                _load_rows(apps.get_model(tables[info.name]), _checked_lines(stream, info.name, expected))
            else:
                _put_file(info.name, stream, expected)
                files += 1
        _reset_sequences()
        _compare_counts(archive.manifest["row_counts"])
    return files


def _checked_lines(stream: IO[bytes], name: str, expected: str) -> Iterator[str]:
    """The member's lines as text, hashed on the way: bytes that changed since the check stop the load."""
    digest = hashlib.sha256()
    for line in stream:
        digest.update(line)
        yield line.decode()
    if digest.hexdigest() != expected:
        raise RestoreRefused(f"{name} changed while it was being restored; the database load was rolled back.")


def _load_rows(model: type[models.Model], lines: Iterator[str]) -> None:
    """Insert the rows as they were (ids, timestamps: ``raw``, as a fixture loads), a batch at a time."""
    batch: list[models.Model] = []
    joins: dict[type[models.Model], list[models.Model]] = {}
    try:
        for item in Deserializer(cast(Any, lines)):
            if type(item.object) is not model:
                raise RestoreRefused(f"A row of {item.object._meta.label} is among {model._meta.label}'s rows.")
            batch.append(item.object)
            for name, ids in (item.m2m_data or {}).items():
                _add_joins(joins, model, name, item.object.pk, ids)
            if len(batch) >= INSERT_BATCH:
                _insert(model, batch)
                batch = []
    except serializers.base.DeserializationError as error:
        raise RestoreRefused(f"A row of {model._meta.label} could not be read: {error}") from None
    _insert(model, batch)
    for through, rows in joins.items():
        through._base_manager.bulk_create(rows, batch_size=INSERT_BATCH)


def _add_joins(
    joins: dict[type[models.Model], list[models.Model]], model: type[models.Model], name: str, pk: Any, ids: list
) -> None:
    field: Any = model._meta.get_field(name)
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    joins.setdefault(through, []).extend(through(**{source: pk, target: other}) for other in ids)


def _insert(model: type[models.Model], rows: list[models.Model]) -> None:
    """Django's own insert for `save(raw=True)`, several rows a statement (bulk_create would stamp
    auto_now fields with the time of the restore)."""
    if not rows:
        return
    fields = list(model._meta.local_concrete_fields)
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    for start in range(0, len(rows), size):
        model._base_manager._insert(rows[start : start + size], fields=fields, raw=True)  # type: ignore[attr-defined]


def _reset_sequences() -> None:
    """PostgreSQL's id sequences past the highest id restored (SQLite tracks explicit ids itself)."""
    tables = [table for model in models_in_order() for table in counted_tables(model)]
    statements = connection.ops.sequence_reset_sql(no_style(), tables)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _compare_counts(expected: dict[str, int]) -> None:
    found = row_counts()
    differ = [
        f"{label}: {found.get(label)} instead of {count}"
        for label, count in expected.items()
        if found.get(label) != count
    ]
    if differ:
        raise RestoreRefused(
            f"After loading, the rows differ from the manifest's counts ({'; '.join(differ[:5])}). "
            "The load was rolled back."
        )


def _put_file(name: str, stream: IO[bytes], expected: str) -> None:
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as copy:
        digest = hashlib.sha256()
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            copy.write(chunk)
        if digest.hexdigest() != expected:
            raise RestoreRefused(f"{name} changed while it was being restored; the database load was rolled back.")
        copy.seek(0)
        sealed = sealing.is_sealed(copy.read(len(sealing.HEADER)))
        copy.seek(0)
        # Sealed bytes go back as they are; a file an older backup holds in plaintext is sealed now.
        store = storages["files"]
        _put_stored(sealed_store(store) if sealed else store, name[len(FILES_PREFIX) :], copy)


def _put_stored(storage: Storage, key: str, content: IO[bytes]) -> None:
    if storage.exists(key):  # the same bytes (restore_refusal refused other ones)
        return
    saved = storage.save(key, File(content, name=key))
    if saved != key:
        raise RestoreRefused(f"The stored file {key} was saved as {saved}; its records would not find it.")


def keys_open(token: str) -> bool:
    """Whether the current REMIT_ENCRYPTION_KEYS decrypt ``token`` (an account number of the backup's)."""
    try:
        crypto.decrypt(token)
    except crypto.DecryptionError:
        return False
    return True
