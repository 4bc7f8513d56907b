"""Where the ACH files live (ach/stored.py): an imported return file's bytes are kept in the file store
in its import's transaction, and files a Remit wrote to its local outbound folder before the store
existed are taken into it (their SHA-256 checked)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.models import InboundFile
from remit.ach.returns import ach_import_returns
from remit.ach.stored import file_bytes, file_text, inbound_key, outbound_key
from remit.ach.tests.test_export import ach_fields, pay, payer
from remit.files.store import file_store
from remit.test import make_biller, make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    biller, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
    return biller, owner


@pytest.fixture
def export(run_on_commit):
    def run(**kwargs):
        with run_on_commit(execute=True):
            return ach_export(**kwargs)

    return run


def exported(biller, export):
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    result = export(biller=biller, effective_date=payment.pay_on)
    assert result.file is not None
    return result.file, payment


def test_an_imported_return_file_is_kept_in_the_store_under_its_sha256(acme, export):
    biller, owner = acme
    record, payment = exported(biller, export)
    text = returns_for(file_text(record), returns={payment.ach_entry.trace_number: "R01"}, today=payment.pay_on)
    result = ach_import_returns(text=text, filename="../odd name?.ach", biller=biller, actor=owner)
    assert result.inbound is not None
    inbound = InboundFile.objects.get(pk=result.inbound.pk)
    assert inbound.stored_as == inbound_key(inbound.sha256, "../odd name?.ach")
    assert inbound.stored_as == f"ach/inbound/{inbound.sha256}-odd_name.ach"
    with file_store().open(inbound.stored_as) as handle:
        assert handle.read() == text.encode("ascii")


def test_files_of_the_old_outbound_folder_are_taken_into_the_store(acme, export, tmp_path):
    biller, _ = acme
    record, _ = exported(biller, export)
    data = file_bytes(record)
    file_store().delete(outbound_key(record.filename))  # as if written before the store existed
    (tmp_path / record.filename).write_bytes(data.replace(b"ACME", b"ACNE"))
    call_command("ach", "import-outbound", str(tmp_path))
    assert not file_store().exists(outbound_key(record.filename))  # a changed file is left out
    (tmp_path / record.filename).write_bytes(data)
    call_command("ach", "import-outbound", str(tmp_path))
    assert file_bytes(record) == data
    file_store().save("ach/outbound/unrelated.ach", ContentFile(b"x"))
    call_command("ach", "import-outbound", str(tmp_path))  # twice: nothing changes
    assert file_bytes(record) == data
