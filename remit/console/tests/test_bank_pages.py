"""ACH → Bank connection: an owner sets it up against a real SFTP server — Remit's key, the host key
fingerprint confirmed, Test connection —; secrets never appear on the page; staff look only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from remit.ach.bank_sim_sftp import authorize_key
from remit.bank import sftp
from remit.bank.connections import bank_connection_save
from remit.bank.models import BankConnection, DeliveryStatus, FileDelivery, PickedUpFile
from remit.bank.tests.conftest import (  # noqa: F401 (fixtures)
    BANK_PASSWORD,
    _own_data_dir,
    acme,
    bank,
    connected,
    connection_fields,
    export_file,
    pgp_keys,
)
from remit.test import make_staff

pytestmark = pytest.mark.django_db


def page_of(acme) -> str:  # noqa: F811 (the fixture's name)
    return f"/console/{acme.biller.slug}/ach/bank/"


FORM = {
    "host": "127.0.0.1",
    "username": "remit",
    "auth": "key",
    "outbound_dir": "/to-bank",
    "inbound_dir": "/from-bank",
}


def test_an_owner_sets_up_the_connection_with_remits_key_and_a_confirmed_host_key(client, acme, bank):  # noqa: F811
    client.force_login(acme.owner)
    url = page_of(acme)
    assert "No SSH key yet" in client.get(url).content.decode()
    client.post(f"{url}key")
    connection = BankConnection.objects.get(biller=acme.biller)
    html = client.get(url).content.decode()
    assert connection.ssh_public_key in html and "PRIVATE" not in html

    response = client.post(url, {**FORM, "port": bank.port, "enabled": "on"})
    assert "Confirm the bank&#x27;s host key" in response.content.decode()  # on only with a pinned key
    response = client.post(url, {**FORM, "port": bank.port})
    assert response.status_code == 302

    fingerprint = sftp.parse_host_key(bank.host_key).fingerprint
    confirm = client.post(f"{url}host-key").content.decode()
    assert fingerprint in confirm and "The fingerprints match" in confirm
    client.post(f"{url}host-key", {"host_key": bank.host_key})
    assert BankConnection.objects.get(biller=acme.biller).host_key_fingerprint == fingerprint

    client.post(f"{url}test")
    html = client.get(url).content.decode()
    assert "refused the login of “remit” with Remit&#x27;s SSH key" in html
    authorize_key(bank.folder, connection.ssh_public_key)
    client.post(f"{url}test")
    html = client.get(url).content.decode()
    assert "Remit may write in /to-bank." in html and "worked" in html
    assert client.post(url, {**FORM, "port": bank.port, "enabled": "on"}).status_code == 302
    assert BankConnection.objects.get(biller=acme.biller).ready
    assert "generated a new SSH key" in html and "confirmed the bank&#x27;s host key" in html


def test_a_password_and_pgp_keys_are_uploaded_and_never_shown(client, acme, bank, pgp_keys):  # noqa: F811
    client.force_login(acme.owner)
    url = page_of(acme)
    bank_connection_save(biller=acme.biller, actor=acme.owner, fields=connection_fields(bank, enabled=False))
    mine = pgp_keys["biller"]
    response = client.post(
        url,
        {
            **FORM,
            "port": bank.port,
            "auth": "password",
            "password": "typed-secret-77",
            "pgp_bank_key": SimpleUploadedFile("bank.asc", pgp_keys["bank"].public.encode()),
            "pgp_own_key": SimpleUploadedFile("mine.asc", mine.private.encode()),
            "pgp_own_passphrase": mine.passphrase,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    html = client.get(url).content.decode()
    for secret in ("typed-secret-77", mine.passphrase, BANK_PASSWORD, "PGP PRIVATE"):
        assert secret not in html
    assert pgp_keys["bank"].fingerprint in html and mine.fingerprint in html
    assert "password changed" in html and "PGP passphrase changed" in html

    response = client.post(
        url,
        {**FORM, "port": bank.port, "auth": "password", "pgp_own_key": SimpleUploadedFile("key.asc", "héllo".encode())},
    )
    assert "A key file is plain text" in response.content.decode()


def test_the_delivery_log_and_the_files_from_the_bank(client, connected, bank, run_on_commit):  # noqa: F811
    from remit.bank.sync import bank_sync

    record = export_file(connected, run_on_commit)
    (bank.from_bank / "garbage.txt").write_text("not a return file\n")
    done = bank_sync(biller=connected.biller)
    assert not done.pickup.error, done.pickup.error
    client.force_login(connected.owner)
    html = client.get(page_of(connected)).content.decode()
    assert record.filename in html and "Delivered" in html
    assert "garbage.txt" in html and "Unreadable" in html and "It stays on the bank's server." in html
    picked = PickedUpFile.objects.get(remote_name="garbage.txt")
    client.post(f"{page_of(connected)}files/{picked.pk}/again")
    assert not PickedUpFile.objects.filter(pk=picked.pk).exists()


def test_a_waiting_file_can_be_marked_delivered_by_hand(client, connected, bank, run_on_commit):  # noqa: F811
    from remit.bank.delivery import deliveries_create

    export_file(connected, run_on_commit)
    [delivery] = deliveries_create(connected.biller)
    client.force_login(connected.owner)
    client.post(f"{page_of(connected)}deliveries/{delivery.pk}/by-hand")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and "by hand" in delivery.delivery_note
    assert "marked" in client.get(page_of(connected)).content.decode()
    assert FileDelivery.objects.count() == 1


def test_a_stopped_connection_says_so_at_the_top(client, connected, bank):  # noqa: F811
    from remit.bank.connections import bank_host_key_changed

    bank_host_key_changed(connected.connection.pk, sftp.parse_host_key(bank.host_key))
    client.force_login(connected.owner)
    html = client.get(page_of(connected)).content.decode()
    assert "Transfers are stopped." in html


def test_staff_see_the_page_but_change_nothing(client, connected, bank):  # noqa: F811
    client.force_login(make_staff(connected.biller))
    url = page_of(connected)
    html = client.get(url).content.decode()
    assert "Only an owner can change the bank connection." in html and "History" not in html
    for path in ("", "key", "test", "host-key"):
        assert client.post(f"{url}{path}", {**FORM, "port": 1}).status_code == 403
    assert BankConnection.objects.get(biller=connected.biller).port == bank.port
