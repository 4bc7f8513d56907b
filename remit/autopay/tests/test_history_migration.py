"""History written before private accounts stayed private in it names no account any more: the
migration rewrites the payment events and Auto Pay changes that did."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from remit.autopay.models import AutoPayChange
from remit.payments.models import PaymentEvent, PaymentStatus
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice, soonest_pay_on

pytestmark = pytest.mark.django_db

migration = importlib.import_module("remit.autopay.migrations.0002_history_names_no_account")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Auto Pay re-planned it: Pay On Dec 2, 2026 → Dec 4, 2026; from Savings ••••8642",
         "Auto Pay re-planned it: Pay On Dec 2, 2026 → Dec 4, 2026; bank account changed"),
        ("The bank account Checking ••••6789 was removed", "The bank account was removed"),
        ("bea@globex.example removed the bank account Savings ••••8642", "bea@globex.example removed the bank account"),
        ("ophelia@globex.example, whose private account Savings ••••8642 it is, lost access",
         "ophelia@globex.example, whose private account it is, lost access"),
        ("The bank returned a payment from Savings ••••8642 with R02 (Account closed)",
         "The bank returned a payment from this account with R02 (Account closed)"),
        ("Scheduled by ophelia@globex.example", "Scheduled by ophelia@globex.example"),
    ],
)  # fmt: skip
def test_each_way_history_named_an_account_is_rewritten(before, after):
    assert migration.without_account_details(before) == after


def test_the_migration_rewrites_stored_events_and_changes():
    acme, _ = make_biller("Acme Supply Co.")
    globex = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    invoice = make_invoice(globex, amount_cents=25000)
    payment = ach_payment_rows(globex, [(invoice, 25000)], pay_on=soonest_pay_on(acme))
    old = PaymentEvent.objects.create(
        payment=payment, to_status=PaymentStatus.CANCELLED, note="The bank account Savings ••••8642 was removed"
    )
    kept = PaymentEvent.objects.create(payment=payment, to_status=PaymentStatus.SCHEDULED, note="Scheduled by Auto Pay")
    change = AutoPayChange.objects.create(
        customer=globex, reason="ap@globex.example removed the bank account Savings ••••8642", before={}, after={}
    )
    migration.forwards(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    change.refresh_from_db()
    assert old.note == "The bank account was removed" and kept.note == "Scheduled by Auto Pay"
    assert change.reason == "ap@globex.example removed the bank account"
