"""`remit backup` and `remit restore`: the demo backed up, restored into a fresh database by a real
`remit restore` process, with the same rows, the same NACHA files and working sign-ins; and what
restore refuses (a database with rows, an altered or cut-short archive) or warns about (wrong keys)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import secrets
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection

from remit.ach.export import ach_export, next_file_date
from remit.ach.models import AchFile
from remit.billers.models import Biller
from remit.files import sealing
from remit.files.store import sealed_store
from remit.payments.models import Payment
from remit.site.backup import FILE_STORE_TABLES, MANIFEST, NOT_BACKED_UP, row_counts
from remit.site.demo import ACME_OWNER, ACME_SLUG, DEMO_PASSWORD, GLOBEX_ADMIN, load_demo
from remit.test import child_env, make_bank_account, make_biller, make_customer, make_portal_user

PRODUCTION_HASHER = "remit.users.hashers.Argon2idPasswordHasher"  # what a restored `remit` process verifies with
INBOUND_KEY = "ach/inbound/" + "0" * 64 + "-returns.ach"  # a file of storages["files"], as the bank's return files


@pytest.fixture
def data_dir(settings, tmp_path):
    """This test's own $REMIT_DATA_DIR (the stored files are in the test database: the default store)."""
    folder = tmp_path / "data"
    settings.DATA_DIR = folder
    return folder


def remit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "remit", *args],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def fresh_database(tmp_path):
    """A new, empty database (no tables) as a DATABASE_URL: a file on SQLite, a database of its own on
    PostgreSQL (dropped afterwards)."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    db = connection.settings_dict
    name = f"backup_restore_{secrets.token_hex(4)}"
    server = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


AFTER_RESTORE = """
import hashlib, json
from django.contrib.auth import authenticate
from django.core.files.storage import storages
from remit.ach.models import AchFile
from remit.billers.actions import biller_sign_up
from remit.billers.models import Biller
from remit.files import sealing
from remit.files.store import sealed_store
from remit.site.backup import row_counts

counts = row_counts()
stored = storages["files"]
files = {}
for record in AchFile.objects.all():
    data = stored.open(f"ach/outbound/{record.filename}", "rb").read()
    files[record.filename] = [record.sha256, hashlib.sha256(data).hexdigest()]
acme = Biller.objects.get(slug=ACME_SLUG)
signed_in = {
    "console": authenticate(None, email=ACME_OWNER, password=PASSWORD) is not None,
    "portal": authenticate(None, biller=acme, email=GLOBEX_ADMIN, password=PASSWORD) is not None,
    "wrong password": authenticate(None, email=ACME_OWNER, password=PASSWORD + "x") is not None,
}
biller_sign_up(business_name="After Restore", owner_name="New Owner", email="new@after.example", password=PASSWORD)
inbound = hashlib.sha256(stored.open(INBOUND_KEY, "rb").read()).hexdigest()
print("RESULT " + json.dumps({"counts": counts, "files": files, "signed_in": signed_in, "inbound": inbound}))
"""


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_demo_restores_into_a_fresh_database_with_the_same_rows_files_and_sign_ins(
    settings, tmp_path, data_dir, fresh_database
):
    settings.PASSWORD_HASHERS = [PRODUCTION_HASHER]
    load_demo()
    acme = Biller.objects.get(slug=ACME_SLUG)
    if not AchFile.objects.exists():  # the demo's own file needs a banking day its payment can go on
        first = Payment.objects.filter(biller=acme, status="scheduled").order_by("pay_on").first()
        ach_export(biller=acme, effective_date=first.pay_on if first else next_file_date(acme))
    assert AchFile.objects.exists()
    inbound = b"101 bank's return file\n"
    storages["files"].save(INBOUND_KEY, ContentFile(inbound))
    before = row_counts()
    archive = tmp_path / "backups" / "demo.tar.gz"

    made = remit("backup", "--output", str(archive), env=child_env(REMIT_DATA_DIR=str(data_dir)))

    assert made.returncode == 0, made.stderr
    assert archive.stat().st_mode & 0o777 == 0o600
    assert "NOT in this backup: the encryption keys (REMIT_ENCRYPTION_KEYS) and SECRET_KEY" in made.stdout
    assert "REMIT_ENCRYPTION_KEYS: from the environment" in made.stdout
    assert "SECRET_KEY: from the environment" in made.stdout

    restored_dir = tmp_path / "restored"
    env = child_env(DATABASE_URL=fresh_database, REMIT_DATA_DIR=str(restored_dir))
    done = remit("restore", str(archive), env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Creating the tables (remit migrate)" in done.stdout
    assert "Every table holds as many rows as the backup's manifest says." in done.stdout
    assert "decrypt the backup's account numbers" in done.stdout
    script = "\n".join(
        [
            f"ACME_SLUG, ACME_OWNER, GLOBEX_ADMIN = {ACME_SLUG!r}, {ACME_OWNER!r}, {GLOBEX_ADMIN!r}",
            f"PASSWORD, INBOUND_KEY = {DEMO_PASSWORD!r}, {INBOUND_KEY!r}",
            AFTER_RESTORE,
        ]
    )
    checked = remit("shell", "-c", script, env=env)
    assert checked.returncode == 0, checked.stderr
    result = json.loads(next(line for line in checked.stdout.splitlines() if line.startswith("RESULT "))[7:])

    assert result["counts"] == before
    assert set(before) >= {
        m._meta.label for m in apps.get_models() if m._meta.label not in NOT_BACKED_UP | FILE_STORE_TABLES
    }
    assert before["billers.Biller"] and before["payments.BankAccount"] and before["ach.AchFile"]
    assert result["files"] == {f.filename: [f.sha256, f.sha256] for f in AchFile.objects.all()}
    assert result["signed_in"] == {"console": True, "portal": True, "wrong password": False}
    assert result["inbound"] == hashlib.sha256(inbound).hexdigest()


def small_world() -> None:
    biller, _ = make_biller("Acme Supply Co.")
    make_bank_account(make_portal_user(make_customer(biller, "Globex Corporation", email="ap@globex.example")))


def backup(tmp_path: Path) -> tuple[Path, str]:
    out = io.StringIO()
    path = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(path), stdout=out)
    return path, out.getvalue()


def restore(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("restore", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_restore_refuses_a_database_that_has_rows(tmp_path, data_dir):
    small_world()
    path, said = backup(tmp_path)
    assert "NOT in this backup" in said

    with pytest.raises(CommandError) as refused:
        restore(path)

    assert "is not empty: billers.Biller (1 row)" in str(refused.value)
    assert "create a new one" in str(refused.value)


def rewritten(source: Path, target: Path, change) -> Path:
    """``source`` with each member's bytes passed through ``change(name, data)``, the manifest kept."""
    with tarfile.open(source, "r:gz") as tar, tarfile.open(target, "w:gz") as out:
        for info in tar:
            member = tar.extractfile(info)
            assert member is not None
            data = change(info.name, member.read())
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


@pytest.mark.django_db
def test_restore_refuses_an_altered_or_cut_short_archive_before_writing_anything(tmp_path, data_dir):
    small_world()
    path, _ = backup(tmp_path)
    altered = rewritten(
        path,
        tmp_path / "altered.tar.gz",
        lambda name, data: data.replace(b"Globex", b"Glebex") if name.endswith("customers.Customer.jsonl") else data,
    )
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    unlisted = rewritten(
        path,
        tmp_path / "unlisted.tar.gz",
        lambda name, data: json.dumps({"format": "something else"}).encode() if name == MANIFEST else data,
    )

    with pytest.raises(CommandError) as refused:
        restore(altered)
    assert "database/customers.Customer.jsonl: its SHA-256 or size differs from the manifest's" in str(refused.value)
    assert "Nothing was restored." in str(refused.value)
    with pytest.raises(CommandError, match="cut short"):
        restore(cut)
    with pytest.raises(CommandError, match="is not a Remit backup"):
        restore(unlisted)


@pytest.fixture
def content_types_forgotten():
    """Flushing inside the test's transaction gives content types new ids, which its rollback undoes:
    the cache of content types must not keep them."""
    yield
    ContentType.objects.clear_cache()


def emptied() -> None:
    """This test's database emptied (tables kept), inside the test's transaction."""
    postgresql = connection.vendor == "postgresql"
    if postgresql:  # TRUNCATE waits for no foreign key check still pending
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.mark.django_db
def test_a_restore_with_other_encryption_keys_warns_that_they_do_not_decrypt(
    settings, tmp_path, data_dir, content_types_forgotten
):
    small_world()
    storages["files"].save(INBOUND_KEY, ContentFile(b"622 011000015 98765432109876\n"))
    path, _ = backup(tmp_path)
    before = row_counts()
    emptied()
    settings.REMIT_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    said, warned = restore(path)

    assert "Every table holds as many rows as the backup's manifest says." in said
    assert row_counts() == before
    assert "do NOT decrypt the account numbers in this backup" in warned
    assert "do NOT open 1 of the stored files in this backup" in warned


NUMBER = b"98765432109876"
NACHA_LINE = b"62201100001598765432109876 0000012345INV-1001       GLOBEX CORPORATION      0021000020000001\n"


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {info.name: tar.extractfile(info).read() for info in tar}  # type: ignore[union-attr]


@pytest.mark.django_db
def test_stored_files_are_archived_sealed_and_restored_sealed_without_the_keys_being_used(
    tmp_path, data_dir, content_types_forgotten
):
    small_world()
    store = storages["files"]
    store.save("ach/outbound/a.ach", ContentFile(NACHA_LINE))
    sealed_store(store).save("ach/outbound/before-sealing.ach", ContentFile(NACHA_LINE))  # stored in plaintext
    path, _ = backup(tmp_path)

    archived = {name: data for name, data in members(path).items() if name.startswith("files/")}
    assert set(archived) == {"files/ach/outbound/a.ach", "files/ach/outbound/before-sealing.ach"}
    for data in archived.values():
        assert data.startswith(sealing.HEADER) and NUMBER not in data and b"GLOBEX" not in data
    assert NUMBER not in gzip.decompress(path.read_bytes())

    emptied()
    restore(path)

    for key in ("ach/outbound/a.ach", "ach/outbound/before-sealing.ach"):
        with sealed_store(store).open(key, "rb") as raw:
            assert raw.read() == archived[f"files/{key}"]  # written back as archived: sealed
        with store.open(key, "rb") as plain:
            assert plain.read() == NACHA_LINE


@pytest.mark.django_db
def test_a_stored_file_sealed_again_since_the_backup_is_the_same_file_and_other_contents_are_refused(
    settings, tmp_path, data_dir, content_types_forgotten
):
    small_world()
    store = storages["files"]
    store.save("ach/outbound/a.ach", ContentFile(NACHA_LINE))
    path, _ = backup(tmp_path)
    emptied()
    # The store kept its file (an S3 bucket outlives the database), sealed again since with a new key.
    settings.REMIT_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.REMIT_ENCRYPTION_KEYS]
    store.save("ach/outbound/a.ach", ContentFile(NACHA_LINE))
    store.save(INBOUND_KEY, ContentFile(b"not in the backup"))

    said, warned = restore(path)

    assert "open the backup's 1 stored file(s)" in said and not warned
    with store.open("ach/outbound/a.ach", "rb") as plain:
        assert plain.read() == NACHA_LINE


@pytest.mark.django_db
def test_a_stored_file_with_other_contents_where_the_backup_puts_one_is_refused(
    tmp_path, data_dir, content_types_forgotten
):
    small_world()
    storages["files"].save("ach/outbound/a.ach", ContentFile(NACHA_LINE))
    path, _ = backup(tmp_path)
    emptied()
    storages["files"].save("ach/outbound/a.ach", ContentFile(b"another file"))

    with pytest.raises(CommandError, match=r"already exist with other contents: ach/outbound/a.ach"):
        restore(path)
