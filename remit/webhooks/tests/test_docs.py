"""docs/webhooks.md shows an example of each event type: each has exactly the fields Remit really
sends (a story through the real actions produces every one)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.returns import ach_import_returns
from remit.ach.settle import ach_settle
from remit.ach.stored import file_text
from remit.autopay.settings import autopay_save
from remit.lib.banking_days import add_banking_days
from remit.payments.credits import credit_issue
from remit.payments.holds import payment_hold_decide, payment_hold_place
from remit.test import make_invoice
from remit.webhooks.delivery import event_body
from remit.webhooks.models import EventType, WebhookEvent
from remit.webhooks.tests.conftest import DOCS
from remit.webhooks.tests.world import World, make_world

pytestmark = pytest.mark.django_db


def story(world: World, run_on_commit: Any) -> dict[str, dict[str, Any]]:
    """Every event type once, as a receiver gets it (the body of the POST)."""
    paid_invoice = make_invoice(world.customer, amount_cents=25000, number="INV-1001")
    returned_invoice = make_invoice(world.customer, amount_cents=4500, number="INV-1002")
    paid = world.pay([paid_invoice])
    returned = world.pay([returned_invoice])
    with run_on_commit(execute=True):
        record = ach_export(biller=world.acme, effective_date=paid.pay_on).file
    assert record is not None
    text = returns_for(
        file_text(record),
        today=timezone.localdate(),
        returns={returned.ach_entry.trace_number: "R01"},
    )
    ach_import_returns(text=text, filename="returns.ach", biller=world.acme)
    ach_settle(today=add_banking_days(paid.pay_on, 2))
    for number, decision in (("INV-1004", "approved"), ("INV-1005", "rejected")):
        held = world.pay([make_invoice(world.customer, amount_cents=90000, number=number)])
        with transaction.atomic():
            hold = payment_hold_place(
                payment=held, rule_code="over_payment_limit",
                reason="This payment of $900.00 is above the $500.00 limit per payment set by Acme Supply Co.",
            )  # fmt: skip
        payment_hold_decide(hold=hold, actor=world.owner, decision=decision, reason="Checked with the customer")
    credited = make_invoice(world.customer, amount_cents=20000, number="INV-1006")
    credit_issue(
        biller=world.acme, customer=world.customer, amount_cents=5000, reason="Two crates arrived damaged",
        invoice=credited, actor=world.owner,
    )  # fmt: skip
    make_invoice(world.customer, amount_cents=30000, number="INV-1003")
    autopay_save(
        customer=world.customer, actor=world.payer, enabled=True, max_cents=20000,
        bank_account_id=world.account.pk, days=0, when="before",
    )  # fmt: skip
    bodies: dict[str, dict[str, Any]] = {}
    for event in WebhookEvent.objects.order_by("pk"):
        bodies.setdefault(event.type, json.loads(event_body(event)))
    return bodies


def shape(value: Any) -> Any:
    """The keys of every object, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def documented() -> dict[str, dict[str, Any]]:
    examples = {}
    for type, block in re.findall(r"### `([a-z_.]+)`\n.*?```json\n(.*?)```", DOCS.read_text(), re.DOTALL):
        examples[type] = json.loads(block)
    return examples


def test_the_docs_show_each_event_type_as_it_is_sent(receiver, run_on_commit):
    world = make_world(receiver.url)
    sent = story(world, run_on_commit)
    assert set(sent) == set(EventType.values)
    examples = documented()
    assert set(examples) == set(EventType.values)
    for type, body in sent.items():
        assert shape(examples[type]) == shape(body), type
        assert examples[type]["type"] == type
