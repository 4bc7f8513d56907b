"""storages["files"]: the database store and S3 on a real local server (moto's ThreadedMotoServer on
loopback) answer save/open/exists/delete/size/listdir alike, as the export, the console, delivery and
the backup's walk expect; a misconfigured store says what is missing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import transaction

from remit.files.models import CHUNK_BYTES, StoredChunk, StoredFile
from remit.files.storage import DatabaseStorage
from remit.files.store import (
    StoredFileChanged,
    StoredFileMissing,
    atomic_with_database,
    export_to,
    file_store,
    open_checked,
    read_checked,
    walk,
)
from remit.test import child_env

pytestmark = pytest.mark.django_db

KEYS = {
    "ach/outbound/acme-20261204-A-effective-20261207.ach": b"101 021000021 1234567890\n" * 3,
    "ach/outbound/beta-20261204-A-effective-20261207.ach": b"beta\n",
    "ach/inbound/" + "ab" * 32 + "-returns.ach": b"return file\n",
    "ach/partial/7/acme-20261204-B-effective-20261207.ach": b"partial\n",
}


@pytest.fixture(params=["database", "s3"])
def store(request):
    if request.param == "s3":
        request.getfixturevalue("s3_store")
    return file_store()


def fill(store) -> None:
    for key, data in KEYS.items():
        assert store.save(key, ContentFile(data)) == key  # exactly the key asked for, never renamed


def test_save_open_exists_size_and_delete(store):
    fill(store)
    key = "ach/outbound/acme-20261204-A-effective-20261207.ach"
    assert store.exists(key) and store.size(key) == len(KEYS[key])
    with store.open(key, "rb") as handle:
        assert handle.read() == KEYS[key]
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(FileNotFoundError):
        store.open(key, "rb")


def test_saving_under_a_key_that_exists_replaces_the_file(store):
    key = "ach/outbound/x.ach"
    store.save(key, ContentFile(b"first"))
    assert store.save(key, ContentFile(b"second, longer")) == key
    assert read_checked(key, _sha(b"second, longer"), store=store) == b"second, longer"
    assert store.listdir("ach/outbound") == ([], ["x.ach"])


def test_listdir_answers_one_level_and_walk_finds_every_key(store):
    fill(store)
    assert store.listdir("") == (["ach"], [])
    assert store.listdir("ach") == (["inbound", "outbound", "partial"], [])
    assert store.listdir("ach/outbound")[1] == sorted(k.rsplit("/", 1)[1] for k in KEYS if "/outbound/" in k)
    assert store.listdir("ach/partial") == (["7"], [])
    assert store.listdir("nothing/here") == ([], [])
    assert sorted(walk(store)) == sorted(KEYS)


def test_reads_are_checked_against_the_recorded_sha256(store):
    fill(store)
    key = "ach/outbound/beta-20261204-A-effective-20261207.ach"
    with open_checked(key, _sha(b"beta\n"), store=store) as handle:
        assert handle.read() == b"beta\n"
    with pytest.raises(StoredFileChanged):
        read_checked(key, _sha(b"something else"), store=store)
    with pytest.raises(StoredFileMissing):
        read_checked("ach/outbound/none.ach", _sha(b""), store=store)


def test_export_writes_what_the_store_holds_owner_only_and_skips_what_is_there(store, tmp_path):
    fill(store)
    assert export_to(tmp_path, store=store) == (len(KEYS), 0)
    for key, data in KEYS.items():
        assert (tmp_path / key).read_bytes() == data
        assert (tmp_path / key).stat().st_mode & 0o777 == 0o600
    call_command("files", "export", str(tmp_path), "--prefix", "ach/outbound")  # unchanged: none written
    assert export_to(tmp_path, prefix="ach/outbound", store=store) == (0, 2)


def test_the_database_store_keeps_a_large_file_in_chunks_and_reads_it_back(settings):
    store = DatabaseStorage()
    data = bytes(range(256)) * (CHUNK_BYTES // 256) * 2 + b"tail"
    store.save("big/file.bin", ContentFile(data))
    assert StoredChunk.objects.filter(file__name="big/file.bin").count() == 3
    assert StoredFile.objects.get(name="big/file.bin").sha256 == _sha(data)
    with store.open("big/file.bin") as handle:
        assert handle.read(10) == data[:10] and handle.read() == data[10:]


@pytest.mark.django_db(transaction=True)
def test_a_database_store_write_rolls_back_with_its_transaction():
    store = DatabaseStorage()
    assert atomic_with_database(store) and not atomic_with_database(FileSystemStorage())
    with pytest.raises(RuntimeError), transaction.atomic():
        store.save("ach/outbound/rolled-back.ach", ContentFile(b"x"))
        assert store.exists("ach/outbound/rolled-back.ach")
        raise RuntimeError("the export failed")
    assert not store.exists("ach/outbound/rolled-back.ach") and not StoredChunk.objects.exists()


def test_keys_are_relative_paths_that_cannot_climb_out():
    store = DatabaseStorage()
    for bad in ("../etc/passwd", "..", "", "/etc/passwd", "ach/../../x"):
        with pytest.raises(SuspiciousFileOperation):
            store.save(bad, ContentFile(b"x"))
    assert store.save("ach//outbound/./x.ach", ContentFile(b"x")) == "ach/outbound/x.ach"


def test_s3_without_a_bucket_is_a_clear_configuration_error():
    from remit.lib.env import ConfigurationError

    assert issubclass(ConfigurationError, ImproperlyConfigured)
    checked = subprocess.run(
        [sys.executable, "-m", "remit", "check"],
        env=child_env(REMIT_FILE_STORE="s3", REMIT_S3_BUCKET=""),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode != 0
    assert "REMIT_FILE_STORE=s3 needs REMIT_S3_BUCKET" in checked.stderr
    wrong = subprocess.run(
        [sys.executable, "-m", "remit", "check"],
        env=child_env(REMIT_FILE_STORE="disk"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "REMIT_FILE_STORE must be database or s3 (got 'disk')" in wrong.stderr


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
