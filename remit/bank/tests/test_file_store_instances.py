"""Nothing on one machine's disk: a NACHA file exported by one instance (a real `remit ach export`
process with a data folder of its own) is downloaded in the console and delivered to the bank by
another instance with another data folder — the same bytes, read from the shared file store (the
database, or S3 on a real local server), with no NACHA file on either machine's disk.

The second instance is this test process with ``settings.DATA_DIR`` pointed at an empty folder: every
read it makes goes through ``storages["files"]``, and the test finds no ``.ach`` file in any data
folder afterwards, so nothing could have been read from a disk. (Two web processes would prove no
more and cost seconds each.)"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from remit.ach.models import AchFile
from remit.ach.stored import file_bytes
from remit.bank.delivery import bank_deliver
from remit.bank.models import FileDelivery
from remit.bank.tests.conftest import Acme, Bank
from remit.test import ach_payment_rows, child_env, make_bank_account, make_invoice, soonest_pay_on

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["database", "s3"])
def store_env(request) -> dict[str, str]:
    if request.param == "database":
        return {}
    return request.getfixturevalue("s3_store").env


def ach_files_on_disk(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*.ach")]


def test_a_file_exported_on_one_instance_is_downloaded_and_delivered_by_another(
    connected: Acme, bank: Bank, client: Any, settings: Any, tmp_path: Path, store_env: dict[str, str]
) -> None:
    first, second = tmp_path / "instance-1", tmp_path / "instance-2"
    first.mkdir()
    second.mkdir()
    make_bank_account(connected.admin, number="123456789")
    invoice = make_invoice(connected.customer, amount_cents=25000)
    payment = ach_payment_rows(connected.customer, [(invoice, 25000)], pay_on=soonest_pay_on(connected.biller))
    exported = subprocess.run(
        [sys.executable, "-m", "remit", "ach", "export", "--date", payment.pay_on.isoformat()],
        env=child_env(REMIT_DATA_DIR=str(first), **store_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    record = AchFile.objects.get()

    settings.DATA_DIR = second  # the other instance
    client.force_login(connected.owner)
    response = client.get(f"/console/{connected.biller.slug}/ach/files/{record.pk}/download")
    assert response.status_code == 200
    downloaded = b"".join(response.streaming_content)
    assert hashlib.sha256(downloaded).hexdigest() == record.sha256 and downloaded == file_bytes(record)

    delivery = FileDelivery.objects.get(file=record)  # queued by the exporting instance, delivered by this one
    assert bank_deliver(delivery.pk).done
    assert (bank.to_bank / record.filename).read_bytes() == downloaded

    assert ach_files_on_disk(first, second, Path(str(settings.BASE_DIR / "var")) / "ach") == []
