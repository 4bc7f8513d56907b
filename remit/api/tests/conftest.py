"""Fixtures of the API's tests: a biller with a key, and a client that sends it (``api`` for a biller
of its own, ``world_api`` for the shared world's)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.returns import ach_import_returns
from remit.ach.stored import file_text
from remit.ach.tests.test_export import ach_fields
from remit.api.actions import api_key_create
from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.actions import payment_schedule
from remit.payments.models import Payment
from remit.test import (
    World,
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    soonest_pay_on,
)
from remit.users.models import User

# A bank account number that must never appear in any API response (only ••••1012 may).
ACCOUNT_NUMBER = "987654321012"


@dataclass
class KeyedBiller:
    biller: Biller
    owner: User
    secret: str

    def client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.secret}")
        return client


def keyed_biller(name: str) -> KeyedBiller:
    biller, owner = make_biller(name)
    issued = api_key_create(biller=biller, actor=owner, name="Tests")
    return KeyedBiller(biller, owner, issued.secret)


@pytest.fixture
def acme(db: Any) -> KeyedBiller:
    return keyed_biller("Acme Supply Co.")


@pytest.fixture
def api(acme: KeyedBiller) -> APIClient:
    """A client that sends Acme's API key."""
    return acme.client()


@pytest.fixture
def world_api(world: World) -> APIClient:
    """A client that sends an API key of Acme, the shared world's biller (Globex and Initech are its
    customers): for tests whose data comes from ``remit.test.World``."""
    issued = api_key_create(biller=world.biller, actor=world.owner, name="Tests")
    return KeyedBiller(world.biller, world.owner, issued.secret).client()


@dataclass
class PaidWorld:
    customer: Customer
    returned: Payment  # scheduled → sent (in an ACH file) → returned R01 by the bank
    scheduled: Payment  # still waiting for its Pay On date
    invoices: list[Invoice]


def seed_paid_world(keyed: KeyedBiller, *, committed: Callable[[], AbstractContextManager[Any]]) -> PaidWorld:
    """Payments made through the real actions: one exported to a NACHA file and returned by the
    bank (the simulator's return file, imported as the console does), one still scheduled.
    ``committed`` runs a block's on-commit work (the file's final rename, the emails)."""
    from django.utils import timezone

    from remit.ach.actions import ach_settings_save

    biller = keyed.biller
    ach_settings_save(biller=biller, actor=keyed.owner, fields=ach_fields())
    customer = make_customer(biller, "Globex Corporation", email="ap@globex.example")
    admin = make_portal_user(customer)
    account = make_bank_account(admin, number=ACCOUNT_NUMBER)
    first, second = make_invoice(customer, amount_cents=25000), make_invoice(customer, amount_cents=9900)
    pay_on = soonest_pay_on(biller)

    def pay(invoice: Invoice) -> Payment:
        return payment_schedule(
            payer=admin, invoice_ids=[invoice.pk], bank_account_id=account.pk, pay_on=pay_on,
            total_cents=invoice.total_cents,
        )  # fmt: skip

    returned = pay(first)
    with committed():
        exported = ach_export(biller=biller, effective_date=pay_on)
    assert exported.file is not None
    outbound = file_text(exported.file)
    returned.refresh_from_db()
    text = returns_for(outbound, returns={returned.ach_entry.trace_number: "R01"}, today=timezone.localdate())
    with committed():
        ach_import_returns(text=text, filename="returns.ach", biller=biller)
    scheduled = pay(second)
    returned.refresh_from_db()
    return PaidWorld(customer=customer, returned=returned, scheduled=scheduled, invoices=[first, second])


@pytest.fixture
def paid(acme: KeyedBiller, run_on_commit: Any, settings: Any, tmp_path: Path) -> PaidWorld:
    settings.DATA_DIR = tmp_path / "data"  # this test's own NACHA files
    return seed_paid_world(acme, committed=lambda: run_on_commit(execute=True))
