"""Stored files are sealed at rest with REMIT_ENCRYPTION_KEYS, in the database store and in S3 (moto's
server on loopback) alike: the bytes in StoredChunk rows or in the bucket (read directly) hold no
account number and no NACHA record, callers read the plaintext, a key that doesn't open a file says
so, files stored before sealing are read and then sealed by ``reseal_all`` (`remit rotate_keys`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial

import pytest
from cryptography.fernet import Fernet
from django.core.files.base import ContentFile

from remit.files import sealing
from remit.files.models import StoredChunk
from remit.files.storage import SealedStorage
from remit.files.store import (
    StoredFileUnopened,
    file_store,
    read_checked,
    reseal_all,
    sealed_store,
    unopened_keys,
)

pytestmark = pytest.mark.django_db

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))
ACCOUNT = "98765432109876"
NACHA = (
    b"101 021000021 1234567891261204 0900A094101FIRST BANK             ACME SUPPLY CO.                \n"
    b"62201100001598765432109876 0000012345INV-1001       GLOBEX CORPORATION      0021000020000001\n"
)
KEY = "ach/outbound/acme-20261204-A-effective-20261207.ach"


@pytest.fixture(params=["database", "s3"])
def case(request, settings) -> tuple[SealedStorage, Callable[[str], bytes]]:
    """``storages["files"]`` on either store, and how to read a key's bytes as stored, around Remit."""
    settings.REMIT_ENCRYPTION_KEYS = [OLD]
    raw: Callable[[str], bytes] = _database_bytes
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_store")
        raw = partial(_bucket_bytes, s3)
    store = file_store()
    assert isinstance(store, SealedStorage)
    return store, raw


def _database_bytes(key: str) -> bytes:
    chunks = StoredChunk.objects.filter(file__name=key).order_by("number").values_list("data", flat=True)
    return b"".join(bytes(chunk) for chunk in chunks)


def _bucket_bytes(s3, key: str) -> bytes:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    return client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()


def test_the_stored_bytes_hold_no_account_number_and_reads_give_the_plaintext(case):
    store, raw = case
    store.save(KEY, ContentFile(NACHA))

    raw = raw(KEY)
    assert raw.startswith(sealing.HEADER)
    assert ACCOUNT.encode() not in raw and b"GLOBEX" not in raw and b"101 021000021" not in raw
    with store.open(KEY, "rb") as handle:
        assert handle.read() == NACHA
    assert read_checked(KEY, hashlib.sha256(NACHA).hexdigest(), store=store) == NACHA
    assert store.size(KEY) == len(NACHA) and store.exists(KEY)
    assert store.listdir("ach/outbound") == ([], [KEY.rsplit("/", 1)[1]])
    store.delete(KEY)
    assert not store.exists(KEY)


def test_a_key_that_does_not_open_the_file_is_a_clear_error_not_garbage(case, settings):
    store, _raw = case
    store.save(KEY, ContentFile(NACHA))
    settings.REMIT_ENCRYPTION_KEYS = [OTHER]

    with pytest.raises(
        sealing.SealedFileUnreadable, match=f"No key in REMIT_ENCRYPTION_KEYS opens the stored file {KEY}:"
    ):
        store.open(KEY, "rb")
    with pytest.raises(StoredFileUnopened, match="sealed with a key that is no longer configured"):
        read_checked(KEY, hashlib.sha256(NACHA).hexdigest(), store=store)
    assert unopened_keys(store) == [KEY]


def test_rotation_seals_every_file_with_the_first_key_once(case, settings):
    store, raw = case
    store.save(KEY, ContentFile(NACHA))
    store.save("ach/inbound/returns.ach", ContentFile(b"return file\n"))
    settings.REMIT_ENCRYPTION_KEYS = [NEW, OLD]

    assert reseal_all(store) == {"sealed": 0, "resealed": 2, "current": 0, "gone": 0}
    assert reseal_all(store) == {"sealed": 0, "resealed": 0, "current": 2, "gone": 0}  # idempotent

    settings.REMIT_ENCRYPTION_KEYS = [NEW]
    with store.open(KEY, "rb") as handle:
        assert handle.read() == NACHA
    assert ACCOUNT.encode() not in raw(KEY)


def test_a_file_stored_before_sealing_is_read_as_it_is_then_sealed(case):
    store, raw = case
    sealed_store(store).save(KEY, ContentFile(NACHA))  # as Remit stored it before this change
    assert raw(KEY) == NACHA

    with store.open(KEY, "rb") as handle:
        assert handle.read() == NACHA
    assert reseal_all(store)["sealed"] == 1

    raw = raw(KEY)
    assert raw.startswith(sealing.HEADER) and ACCOUNT.encode() not in raw
    with store.open(KEY, "rb") as handle:
        assert handle.read() == NACHA


def test_sealed_bytes_altered_are_refused(case):
    store, raw = case
    store.save(KEY, ContentFile(NACHA))
    raw = bytearray(raw(KEY))
    raw[len(sealing.HEADER) + 40] ^= 1
    sealed_store(store).save(KEY, ContentFile(bytes(raw)))

    with pytest.raises(sealing.SealedFileUnreadable, match="or its sealed bytes were altered"):
        store.open(KEY, "rb")
