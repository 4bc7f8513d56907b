"""Issue 14's account validation in a real browser: Initech adds a bank account and pays; the next file
holds the account's micro-entries and not the debit; the next day the customer reads the two amounts
from that file (the file really written, parsed here) and verifies the account; the following file
holds the debit. Screenshots: var/screenshots/verify-step-*.png."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import axe_violations, screenshot
from remit.ach.export import ach_export
from remit.ach.stored import file_text
from remit.ach.tests.nacha_parser import check_file
from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.payments.models import Payment
from remit.site.demo import load_demo
from remit.test import PASSWORD, make_portal_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=NY)  # before Acme's 4 pm cut-off
TUESDAY, WEDNESDAY = date(2026, 12, 8), date(2026, 12, 9)
ACCOUNT = "987654321"


def check(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name
    assert page.console_errors == [], name


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("Email").fill("pat@initech.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def entries_of(text: str) -> list[tuple[str, dict[str, str]]]:
    """Each entry of a file with its batch's company entry description."""
    found, description = [], ""
    for record in check_file(text):
        if record["kind"] == "batch_header":
            description = record["entry_description"].strip()
        elif record["kind"] == "entry":
            found.append((description, record))
    return found


def export(biller: Biller, day: date) -> list[tuple[str, dict[str, str]]]:
    result = ach_export(biller=biller, effective_date=day)
    assert result.file is not None
    return entries_of(file_text(result.file))


def test_initech_verifies_its_new_account_with_the_amounts_from_the_file(page, live_server, settings, tmp_path):
    settings.REMIT_BASE_URL = live_server.url
    settings.DATA_DIR = tmp_path / "data"
    with time_machine.travel(MONDAY, tick=True) as clock:
        load_demo()
        acme = Biller.objects.get(slug="acme-supply")
        initech = Customer.objects.get(reference="INITECH")
        make_portal_user(initech)  # pat@initech.example, signed up from the emailed link
        base = f"{live_server.url}/acme-supply"
        sign_in(page, base)

        # Initech adds its first account: Acme validates by micro-entries, so it waits.
        page.goto(f"{base}/bank-accounts/new/")
        page.get_by_label("Name on the account").fill("Initech Inc")
        page.get_by_label("Routing number").fill("011000015")
        page.get_by_label("Account number", exact=True).fill(ACCOUNT)
        page.get_by_label("Confirm account number").fill(ACCOUNT)
        page.get_by_label("Checking").check()
        page.get_by_label("I accept the Terms of Service").check()
        page.get_by_role("button", name="Save").click()
        page.goto(f"{base}/bank-accounts/")
        assert page.get_by_text("Verification pending").is_visible()
        assert page.get_by_text("Wed, Dec 9, 2026 at the earliest").is_visible()
        check(page, "verify-step-1-verification-pending")

        # It pays on Tuesday, the soonest date; the payment moves to Wednesday and says why.
        page.goto(f"{base}/pay-bills/")
        assert "verification pending" in page.get_by_label("Pay from").inner_text()
        page.get_by_label("Pay On").fill(TUESDAY.isoformat())
        page.get_by_label("Total Payment").fill("1000.00")
        check(page, "verify-step-2-pay")
        page.get_by_role("button", name="Pay", exact=True).click()
        page.wait_for_url(re.compile(r".*/acme-supply/payments/\d+/"))
        assert page.get_by_text("is scheduled for Wednesday, December 9, 2026").is_visible()
        assert page.get_by_text("waiting for verification").is_visible()
        check(page, "verify-step-3-scheduled-after-verification")
        payment = Payment.objects.get(customer=initech, method="ach")
        assert payment.pay_on == WEDNESDAY

        # Tuesday's file: the two micro-entries, and no debit from Initech's account.
        first = export(acme, TUESDAY)
        initechs = [(d, e) for d, e in first if e["account_number"].strip() == ACCOUNT]
        assert [(d, e["transaction_code"]) for d, e in initechs] == [("ACCTVERIFY", "22"), ("ACCTVERIFY", "22")]
        amounts = [int(e["amount"]) for _, e in initechs]
        assert all(0 < cents < 100 for cents in amounts)

        # Tuesday: the deposits are in Initech's account; Pat types them in.
        clock.move_to(datetime(2026, 12, 8, 9, 0, tzinfo=NY))
        sign_in(page, base)
        page.goto(f"{base}/bank-accounts/")
        page.get_by_role("link", name="Verify account").click()
        check(page, "verify-step-4-verify-account")
        page.get_by_label("Amount 1").fill(f"0.{amounts[0] % 99 + 1:02d}")
        page.get_by_label("Amount 2").fill(f"0.{amounts[1]:02d}")
        page.get_by_role("button", name="Verify").click()
        assert page.get_by_text("You have 2 attempts left").is_visible()
        check(page, "verify-step-5-wrong-amounts")
        page.get_by_label("Amount 1").fill(f"0.{amounts[0]:02d}")
        page.get_by_label("Amount 2").fill(f"0.{amounts[1]:02d}")
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(f"{base}/bank-accounts/")
        assert page.get_by_text("is verified").is_visible()
        assert page.get_by_role("cell", name="Verified").is_visible()
        check(page, "verify-step-6-verified")

        # Wednesday's file holds the debit.
        second = export(acme, WEDNESDAY)
        debits = [(d, e) for d, e in second if e["account_number"].strip() == ACCOUNT]
        assert [(d, e["transaction_code"], int(e["amount"])) for d, e in debits] == [("INVOICE", "27", 100000)]
        payment.refresh_from_db()
        assert payment.status == "sent"
