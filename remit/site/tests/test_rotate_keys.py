"""`remit rotate_keys`: after a new key is put first, every number is re-encrypted with it and every
lookup hash recomputed; a number no configured key opens stops the command before anything changes."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from remit.customers.models import CustomerMembership
from remit.lib import crypto
from remit.payments.bank_accounts import bank_account_add
from remit.payments.models import BankAccount
from remit.test import make_biller, make_customer, make_portal_user

pytestmark = pytest.mark.django_db

OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture
def admin():
    acme, _ = make_biller("Acme Supply Co.")
    return make_portal_user(make_customer(acme, "Globex Corporation", email="ap@globex.example"))


def add(user, number):
    return bank_account_add(
        membership=CustomerMembership.objects.get(user=user),
        holder_name="Globex Corporation",
        routing_number="011000015",
        account_number=number,
        account_number_confirm=number,
        account_type="checking",
        is_private=False,
        accepted_terms=True,
        ip_address=None,
        user_agent="",
    )


def rotate():
    out = io.StringIO()
    call_command("rotate_keys", "--batch-size", "2", stdout=out)
    return out.getvalue()


def stored():
    return dict(BankAccount.objects.values_list("pk", "account_number_encrypted"))


def test_numbers_are_re_encrypted_so_the_new_key_alone_opens_them(settings, admin):
    settings.REMIT_ENCRYPTION_KEYS = [OLD]
    numbers = ["123456789", "5555", "0001234567"]
    accounts = [add(admin, number) for number in numbers]
    settings.REMIT_ENCRYPTION_KEYS = [NEW, OLD]

    assert "Re-encrypted 3 bank account number(s); 0 already used the first key." in rotate()

    settings.REMIT_ENCRYPTION_KEYS = [NEW]
    for account, number in zip(accounts, numbers, strict=True):
        account.refresh_from_db()
        assert crypto.decrypt(account.account_number_encrypted) == number
        assert account.lookup_hash == crypto.lookup_hash(number, purpose="bank-account:011000015")


def test_the_new_hashes_still_notice_a_duplicate(settings, admin):
    from remit.payments.bank_accounts import BankAccountError

    settings.REMIT_ENCRYPTION_KEYS = [OLD]
    add(admin, "123456789")
    settings.REMIT_ENCRYPTION_KEYS = [NEW, OLD]
    rotate()
    with pytest.raises(BankAccountError, match="already saved"):
        add(admin, "123456789")


def test_running_it_twice_changes_nothing_the_second_time(settings, admin):
    settings.REMIT_ENCRYPTION_KEYS = [OLD]
    add(admin, "123456789")
    settings.REMIT_ENCRYPTION_KEYS = [NEW, OLD]
    rotate()
    before = stored()
    assert "Re-encrypted 0 bank account number(s); 1 already used the first key." in rotate()
    assert stored() == before


def test_a_number_no_key_opens_stops_it_before_anything_changes(settings, admin):
    settings.REMIT_ENCRYPTION_KEYS = [OLD]
    readable = [add(admin, "123456789"), add(admin, "5555")]
    settings.REMIT_ENCRYPTION_KEYS = [LOST]
    lost = add(admin, "987654321")
    settings.REMIT_ENCRYPTION_KEYS = [NEW, OLD]
    before = list(BankAccount.objects.order_by("pk").values_list("account_number_encrypted", "lookup_hash"))

    with pytest.raises(CommandError) as problem:
        rotate()

    assert f"bank account(s) {lost.pk}" in str(problem.value) and "Nothing was changed" in str(problem.value)
    assert "987654321" not in str(problem.value)
    # Django's command line turns a CommandError into this exit status.
    assert problem.value.returncode == 1
    assert list(BankAccount.objects.order_by("pk").values_list("account_number_encrypted", "lookup_hash")) == before
    for account, number in zip(readable, ["123456789", "5555"], strict=True):
        account.refresh_from_db()
        assert crypto.decrypt(account.account_number_encrypted) == number


def test_the_billers_settlement_account_is_re_encrypted_too(settings):
    from datetime import time

    from remit.ach.actions import AchFields, ach_settings_save
    from remit.ach.models import AchSettings

    settings.REMIT_ENCRYPTION_KEYS = [OLD]
    acme, owner = make_biller("Acme Supply Co.")
    fields = AchFields(
        odfi_routing="111000025",
        immediate_origin="1234567890",
        destination_name="First Demo Bank",
        origin_name="Acme Supply Co",
        company_name="ACME SUPPLY CO",
        company_id="1234567890",
        cutoff_time=time(16),
        balanced=True,
        settlement_routing="011000015",
        settlement_account="99887766",
    )
    ach_settings_save(biller=acme, actor=owner, fields=fields)
    settings.REMIT_ENCRYPTION_KEYS = [NEW, OLD]
    assert "Re-encrypted 1 biller settlement account number(s)." in rotate()
    settings.REMIT_ENCRYPTION_KEYS = [NEW]
    assert crypto.decrypt(AchSettings.objects.get().settlement_account_encrypted) == "99887766"
    assert "Re-encrypted 0 biller settlement account number(s)." in rotate()


def test_the_bank_connections_secrets_and_archived_bank_files_are_re_encrypted_too(settings):
    from remit.bank.models import BankConnection, PickedUpFile

    settings.REMIT_ENCRYPTION_KEYS = [OLD]
    acme, _ = make_biller("Acme Supply Co.")
    connection = BankConnection.objects.create(
        biller=acme,
        host="sftp.bank.example",
        username="acme",
        auth="password",
        password_encrypted=crypto.encrypt("bank-password"),
        pgp_own_passphrase_encrypted=crypto.encrypt("passphrase"),
    )
    PickedUpFile.objects.create(
        biller=acme, remote_name="r.ach", sha256="0" * 64, content_encrypted=crypto.encrypt("101…"), status="imported"
    )
    settings.REMIT_ENCRYPTION_KEYS = [NEW, OLD]
    assert "Re-encrypted 2 bank connection(s) and archived bank file(s)." in rotate()
    settings.REMIT_ENCRYPTION_KEYS = [NEW]
    connection.refresh_from_db()
    assert crypto.decrypt(connection.password_encrypted) == "bank-password"
    assert crypto.decrypt(connection.pgp_own_passphrase_encrypted) == "passphrase"
    assert crypto.decrypt(PickedUpFile.objects.get().content_encrypted) == "101…"
    assert "Re-encrypted 0 bank connection(s)" in rotate()


def test_stored_files_are_sealed_again_with_the_new_key(settings, admin):
    from django.core.files.base import ContentFile

    from remit.files.sealing import HEADER
    from remit.files.store import file_store, sealed_store

    settings.REMIT_ENCRYPTION_KEYS = [OLD]
    store = file_store()
    store.save("ach/outbound/a.ach", ContentFile(b"622 011000015 123456789\n"))
    sealed_store(store).save("ach/inbound/old.ach", ContentFile(b"stored before sealing 123456789\n"))
    settings.REMIT_ENCRYPTION_KEYS = [NEW, OLD]

    said = rotate()
    assert "Sealed 1 stored file(s) again with the first key and 1 stored before sealing existed" in said
    assert "0 already used the first key." in said.splitlines()[-1]
    assert "Sealed 0 stored file(s) again with the first key and 0 stored before sealing existed; 2 already" in rotate()

    settings.REMIT_ENCRYPTION_KEYS = [NEW]
    for key in ("ach/outbound/a.ach", "ach/inbound/old.ach"):
        with sealed_store(store).open(key, "rb") as raw:
            assert raw.read().startswith(HEADER)
        with store.open(key, "rb") as plain:
            assert b"123456789" in plain.read()


def test_a_stored_file_no_key_opens_stops_the_command_naming_it(settings, admin):
    from django.core.files.base import ContentFile

    from remit.files.store import file_store

    settings.REMIT_ENCRYPTION_KEYS = [LOST]
    file_store().save("ach/outbound/lost.ach", ContentFile(b"622 011000015 123456789\n"))
    settings.REMIT_ENCRYPTION_KEYS = [OLD]
    add(admin, "123456789")
    before = stored()
    settings.REMIT_ENCRYPTION_KEYS = [NEW, OLD]

    with pytest.raises(CommandError, match=r"opens the stored file\(s\) ach/outbound/lost.ach.*Nothing was changed"):
        rotate()
    assert stored() == before
