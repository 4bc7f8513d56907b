"""Set-up shared by the webhook tests: a biller with ACH settings, a customer paying from a bank
account on the portal, and an endpoint on the test's own HTTP receiver — all through the real actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from remit.ach.actions import ach_settings_save
from remit.ach.tests.test_export import ach_fields
from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.payments.actions import payment_schedule
from remit.payments.models import BankAccount, Payment
from remit.test import make_bank_account, make_biller, make_customer, make_portal_user, soonest_pay_on
from remit.users.models import User
from remit.webhooks.endpoints import webhook_endpoint_create
from remit.webhooks.models import EventType, WebhookEndpoint

ACCOUNT_NUMBER = "123456789"


@dataclass
class World:
    acme: Biller
    owner: User
    customer: Customer
    payer: User
    account: BankAccount
    endpoint: WebhookEndpoint
    secret: str

    def pay(self, invoices: list[Any], *, total_cents: int | None = None) -> Payment:
        return payment_schedule(
            payer=self.payer,
            invoice_ids=[invoice.pk for invoice in invoices],
            bank_account_id=self.account.pk,
            pay_on=soonest_pay_on(self.acme),
            total_cents=total_cents if total_cents is not None else sum(i.total_cents for i in invoices),
        )


def make_world(url: str, *, events: list[str] | None = None) -> World:
    acme, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=acme, actor=owner, fields=ach_fields())
    customer = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    payer = make_portal_user(customer)
    account = make_bank_account(payer, number=ACCOUNT_NUMBER)
    issued = webhook_endpoint_create(
        biller=acme, actor=owner, url=url, events=events if events is not None else EventType.values
    )
    return World(acme, owner, customer, payer, account, issued.endpoint, issued.secret)
