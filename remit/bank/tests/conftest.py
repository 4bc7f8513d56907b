"""The bank's tests run against a real SFTP server (the simulated bank, asyncssh, in a thread of the
test process, on a free port, its host key pinned) and real GnuPG (temporary homes; the keys are
generated once per session: ed25519/cv25519, quick)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gnupg
import pytest

from conftest import free_port
from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim_sftp import BankThread, SimulatedBank, ensure_host_key
from remit.ach.export import ach_export
from remit.ach.tests.test_export import ach_fields
from remit.bank.connections import ConnectionFields, bank_connection_save
from remit.bank.models import BankConnection
from remit.bank.pgp import GPG_BINARY
from remit.test import make_bank_account, make_biller, make_customer, make_invoice, make_portal_user

BANK_PASSWORD = "bank-sftp-pass-123"


@pytest.fixture(autouse=True)
def _own_data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"


@dataclass(frozen=True)
class KeyPair:
    public: str
    private: str
    passphrase: str
    fingerprint: str


def _key_pair(name: str, passphrase: str) -> KeyPair:
    with tempfile.TemporaryDirectory(prefix="remit-test-gpg-") as home:
        gpg = gnupg.GPG(gpgbinary=GPG_BINARY, gnupghome=home)
        protection: dict[str, Any] = {"passphrase": passphrase} if passphrase else {"no_protection": True}
        made = gpg.gen_key(
            gpg.gen_key_input(
                key_type="EDDSA",
                key_curve="ed25519",
                subkey_type="ECDH",
                subkey_curve="cv25519",
                name_real=name,
                name_email=f"{name.lower().replace(' ', '-')}@keys.example",
                expire_date=0,
                **protection,
            )
        )
        fingerprint = str(made.fingerprint)
        public = gpg.export_keys(fingerprint)
        private = gpg.export_keys(
            fingerprint, secret=True, passphrase=passphrase or None, expect_passphrase=bool(passphrase)
        )
    return KeyPair(public, private, passphrase, fingerprint)


@pytest.fixture(scope="session")
def pgp_keys() -> dict[str, KeyPair]:
    """The bank's key pair (it decrypts what Remit sends) and the biller's (with a passphrase), plus a
    stranger's — made once for the whole session."""
    return {
        "bank": _key_pair("First Demo Bank", ""),
        "biller": _key_pair("Acme Supply", "correct horse battery"),
        "stranger": _key_pair("Someone Else", ""),
    }


@dataclass
class Bank:
    """The running simulated bank: its server thread, folder and pinned host key."""

    sim: SimulatedBank
    thread: BankThread
    folder: Path
    port: int
    host_key: str

    @property
    def to_bank(self) -> Path:
        return self.folder / "sftp" / "to-bank"

    @property
    def from_bank(self) -> Path:
        return self.folder / "sftp" / "from-bank"

    @property
    def received(self) -> Path:
        return self.folder / "received"


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[Bank]:
    folder = tmp_path / "bank"
    sim = SimulatedBank(
        folder,
        password=BANK_PASSWORD,
        rule=lambda entry: "R01" if entry.account_number.strip().endswith("0001") else None,
    )
    port = free_port()
    thread = BankThread(sim, port)
    thread.start()
    yield Bank(sim, thread, folder, port, ensure_host_key(folder))
    thread.stop()


def connection_fields(bank: Bank, **changes: Any) -> ConnectionFields:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": bank.port,
        "username": "remit",
        "auth": "password",
        "password": BANK_PASSWORD,
        "outbound_dir": "/to-bank",
        "inbound_dir": "/from-bank",
        "host_key": bank.host_key,
        "enabled": True,
        **changes,
    }
    return ConnectionFields(**values)


@dataclass
class Acme:
    biller: Any
    owner: Any
    customer: Any
    admin: Any
    connection: BankConnection | None = None


@pytest.fixture
def acme(db: Any) -> Acme:
    biller, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
    customer = make_customer(biller, "Globex Corporation", email="ap@globex.example")
    admin = make_portal_user(customer)
    return Acme(biller, owner, customer, admin)


@pytest.fixture
def connected(acme: Acme, bank: Bank) -> Acme:
    """Acme with its bank connection on (password, pinned host key, no PGP)."""
    acme.connection = bank_connection_save(biller=acme.biller, actor=acme.owner, fields=connection_fields(bank))
    return acme


def export_file(acme: Acme, run_on_commit: Any, *, account_number: str = "123456789", cents: int = 25000) -> Any:
    """A scheduled payment of Globex's exported into a NACHA file (what follows its commit run).
    The payment is from Globex's first bank account, made with ``account_number`` if it has none (the
    simulated bank returns accounts ending in 0001 with R01)."""
    from remit.test import ach_payment_rows, soonest_pay_on

    if not acme.customer.bank_accounts.exists():
        make_bank_account(acme.admin, number=account_number)
    invoice = make_invoice(acme.customer, amount_cents=cents)
    payment = ach_payment_rows(acme.customer, [(invoice, cents)], pay_on=soonest_pay_on(acme.biller))
    with run_on_commit(execute=True):
        result = ach_export(biller=acme.biller, effective_date=payment.pay_on)
    assert result.file is not None
    return result.file


def email_text(outbound: Any) -> str:
    """An outbox email's plain-text body."""
    import email
    import email.policy

    message = email.message_from_bytes(bytes(outbound.raw), policy=email.policy.default)
    body = message.get_body(("plain",))  # type: ignore[attr-defined,unused-ignore]
    assert body is not None
    return str(body.get_content())
