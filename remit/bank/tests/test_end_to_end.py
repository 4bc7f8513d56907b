"""The whole loop, once without and once with PGP: a payment is exported, the worker's round delivers
the file to the bank's SFTP server, the bank answers with a return, the next round picks it up and the
payment is returned — nobody touching a file."""

from __future__ import annotations

from typing import Any

import pytest

from remit.bank import pgp
from remit.bank.connections import bank_connection_save
from remit.bank.models import DeliveryStatus, FileDelivery, PickedUpFile, PickupStatus
from remit.bank.tasks import bank_sync_due
from remit.bank.tests.conftest import Acme, Bank, KeyPair, connection_fields, export_file
from remit.invoices.models import Invoice
from remit.payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("with_pgp", [False, True], ids=["plain", "pgp"])
def test_export_deliver_return_pick_up(
    acme: Acme, bank: Bank, run_on_commit: Any, pgp_keys: dict[str, KeyPair], with_pgp: bool
) -> None:
    keys: dict[str, Any] = {}
    if with_pgp:
        keys = {
            "pgp_bank_key": pgp_keys["bank"].public,
            "pgp_own_key": pgp_keys["biller"].private,
            "pgp_own_passphrase": pgp_keys["biller"].passphrase,
        }
        bank.sim.unwrap = lambda data: pgp.decrypt(data, private_key=pgp_keys["bank"].private, passphrase="").decode()
        bank.sim.wrap = lambda text: pgp.encrypt(text.encode(), public_key=pgp_keys["biller"].public)
    bank_connection_save(biller=acme.biller, actor=acme.owner, fields=connection_fields(bank, **keys))
    record = export_file(acme, run_on_commit, account_number="987650001")  # the bank returns …0001: R01
    payment = Payment.objects.get(ach_entry__file=record)
    assert payment.status == PaymentStatus.SENT

    with run_on_commit(execute=True):
        assert bank_sync_due() == 1  # delivered; nothing to pick up yet
    delivery = FileDelivery.objects.get(file=record)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.encrypted == with_pgp
    assert bank.sim.answer_delivered() == [delivery.remote_name]
    [answer] = list(bank.from_bank.iterdir())
    assert pgp.looks_encrypted(answer.read_bytes()) == with_pgp

    with run_on_commit(execute=True):
        assert bank_sync_due() == 1  # picked up
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RETURNED
    assert payment.ach_entry.ach_return.code == "R01"
    invoice = Invoice.objects.get(allocations__payment=payment)
    assert invoice.paid_cents == invoice.pending_cents == 0
    picked = PickedUpFile.objects.get(biller=acme.biller)
    assert picked.status == PickupStatus.IMPORTED and picked.decrypted == with_pgp and picked.returned == 1

    with run_on_commit(execute=True):
        assert bank_sync_due() == 0  # a third round: nothing twice
    assert len(bank.sim.uploads) == 1
