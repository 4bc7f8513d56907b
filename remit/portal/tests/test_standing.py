"""Where the customer stands: the portal home and the invoices list say what is owed, how much of it
is already scheduled and for when, and what is left to pay — the demo's Globex first, as the issue
saw it (it read "You owe $14,737.28" while $11,887.28 of it was already scheduled)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.html import strip_tags

from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.actions import payment_schedule
from remit.site.demo import GLOBEX_ADMIN, load_demo
from remit.test import (
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    portal_login,
    soonest_pay_on,
)
from remit.users.models import User

pytestmark = pytest.mark.django_db

# A Thursday morning in New York, before Acme's 4 pm cut-off: the demo's first payment is for Friday.
THURSDAY = datetime(2026, 12, 3, 9, 30, tzinfo=ZoneInfo("America/New_York"))
TUESDAY = datetime(2027, 3, 2, 9, 30, tzinfo=ZoneInfo("America/New_York"))


def text(html: str) -> str:
    """What a reader sees: the words, a space where a block (a paragraph, a cell, a list item) ends."""
    spaced = re.sub(r"</?(?:p|div|h\d|dl|dt|dd|ul|li|tr|td|th|br)\b[^>]*>", " ", html)
    return re.sub(r"\s+", " ", unescape(strip_tags(spaced))).strip()


def inside(pattern: str, html: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return found[1]


def hero(client) -> str:
    """The top of the portal home: the customer's name and where they stand."""
    return text(inside(r'<section class="card hero[^>]*>(.*?)</section>', client.get("/acme-supply/").content.decode()))


def invoice_rows(client) -> dict[str, str]:
    """The invoices list as {invoice number: what its row says}."""
    body = inside(r"<tbody>(.*?)</tbody>", client.get("/acme-supply/invoices/").content.decode())
    rows = [text(row).split(" ", 1) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
    return dict(rows)


@pytest.fixture
def globex(client, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the demo's ACH file
    with time_machine.travel(THURSDAY, tick=False):
        load_demo()
        portal_login(client, User.objects.get(email=GLOBEX_ADMIN))
        yield Customer.objects.get(reference="GLOBEX")


def test_the_demos_globex_sees_owed_scheduled_with_dates_and_left_to_pay(client, globex):
    assert hero(client) == (
        "Globex Corporation "
        "You owe Acme Supply Co. $14,737.28 "
        "Already scheduled $11,887.28 "
        "$4,900.00 on Dec 4 $787.28 on Dec 10 $1,200.00 on Dec 24 $5,000.00 on Dec 30 "
        "Left to pay $2,850.00 "
        "Invoice INV-00009 is above your Auto Pay maximum: Auto Pay pays $5,000.00 on Dec 30. "
        "Pay the remaining $2,850.00 by hand. "
        "Pay Outstanding Bills"
    )


def test_the_invoices_list_says_per_invoice_what_is_scheduled_when_and_what_is_left(client, globex):
    rows = invoice_rows(client)
    # Issued, due, total, balance, scheduled (and when), left to pay, status.
    assert rows == {
        "INV-00009": "Dec 3, 2026 Jan 2, 2027 $7,850.00 $7,850.00 $5,000.00 on Dec 30 $2,850.00 Open",
        "INV-00004": "Nov 29, 2026 Dec 29, 2026 $1,200.00 $1,200.00 $1,200.00 on Dec 24 $0.00 Open",
        "INV-00003": "Nov 13, 2026 Dec 13, 2026 $1,574.55 $787.28 $787.28 on Dec 10 $0.00 Partially paid",
        "INV-00002": "Oct 14, 2026 Nov 13, 2026 $4,900.00 $4,900.00 $4,900.00 on Dec 4 $0.00 Overdue",
        "INV-00001": "Sep 19, 2026 Oct 19, 2026 $2,778.00 $0.00 — $0.00 Paid",
    }


def test_pay_outstanding_bills_says_what_is_left_once_the_scheduled_part_is_counted(client, globex):
    page = text(client.get("/acme-supply/pay-bills/").content.decode())
    assert "$2,850.00 left to pay to Acme Supply Co. ($11,887.28 of the $14,737.28 you owe is already scheduled)" in (
        page
    )


@pytest.fixture
def pat(client):
    with time_machine.travel(TUESDAY, tick=False):  # six Wednesdays ahead without a bank holiday
        acme, _ = make_biller("Acme Supply Co.")
        customer = make_customer(acme, "Pat's Shop")
        user = make_portal_user(customer)
        portal_login(client, user)
        yield customer, user


def schedule(user, invoice: Invoice, cents: int, pay_on: date) -> None:
    account = user.customer_membership.customer.bank_accounts.first() or make_bank_account(user)
    payment_schedule(payer=user, invoice_ids=[invoice.pk], bank_account_id=account.pk, pay_on=pay_on, total_cents=cents)


def test_nothing_scheduled_is_simply_what_is_owed(client, pat):
    customer, _ = pat
    make_invoice(customer, amount_cents=12000)
    assert hero(client) == "Pat's Shop You owe Acme Supply Co. $120.00 Pay Outstanding Bills"


def test_one_date_reads_as_a_sentence_and_everything_scheduled_leaves_nothing_to_pay(client, pat):
    customer, user = pat
    invoice = make_invoice(customer, amount_cents=12000)
    pay_on = soonest_pay_on(customer.biller)
    schedule(user, invoice, 12000, pay_on)
    assert hero(client) == (
        f"Pat's Shop You owe Acme Supply Co. $120.00 Already scheduled $120.00 for {pay_on:%b} {pay_on.day} "
        "Left to pay $0.00 Everything you owe is scheduled: nothing is left to pay."
    )


def test_many_dates_list_the_first_ones_and_sum_the_rest(client, pat):
    customer, user = pat
    first = soonest_pay_on(customer.biller)
    for week in range(6):
        schedule(user, make_invoice(customer, amount_cents=10000), 10000 - week, first + timedelta(weeks=week))
    dates = [first + timedelta(weeks=week) for week in range(3)]
    listed = " ".join(f"${100 - week / 100:,.2f} on {d:%b} {d.day}" for week, d in enumerate(dates))
    assert hero(client) == (
        "Pat's Shop You owe Acme Supply Co. $600.00 Already scheduled $599.85 "
        f"{listed} $299.88 on later dates (see Payments) Left to pay $0.15 Pay Outstanding Bills"
    )


def test_another_customers_payments_never_count(client, pat):
    customer, _ = pat
    make_invoice(customer, amount_cents=12000)
    other = make_customer(customer.biller, "Globex Corporation")
    other_user = make_portal_user(other)
    schedule(other_user, make_invoice(other, amount_cents=50000), 50000, soonest_pay_on(customer.biller))
    assert hero(client) == "Pat's Shop You owe Acme Supply Co. $120.00 Pay Outstanding Bills"
    assert invoice_rows(client)["INV-00001"].endswith("$120.00 $120.00 — $120.00 Open")
