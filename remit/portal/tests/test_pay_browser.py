"""Steps 6–10 of the help article in a real browser: Add Bank Account (Private checked), accept the
Terms of Service and Save, choose the Pay On date, lower the Total Payment, Pay — then the
confirmation email that was really delivered. Screenshots: var/screenshots/pay-step-*.png."""

from __future__ import annotations

import re

import pytest

from conftest import axe_violations, screenshot
from remit.customers.models import Customer
from remit.lib.banking_days import next_banking_day
from remit.payments.models import Payment
from remit.site.demo import load_demo
from remit.test import PASSWORD, make_portal_user, parts, soonest_pay_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name
    assert page.console_errors == [], name


def test_steps_6_to_10_and_the_confirmation_email(page, live_server, settings, mailbox):
    settings.REMIT_BASE_URL = live_server.url
    load_demo()
    initech = Customer.objects.get(reference="INITECH")
    make_portal_user(initech)  # pat@initech.example, signed up as in steps 1–4
    before = len(mailbox())
    base = f"{live_server.url}/acme-supply"
    page.goto(f"{base}/signin/")
    page.get_by_label("Email").fill("pat@initech.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Pay Outstanding Bills").first.click()
    check(page, "pay-step-5-no-account-yet")

    # Step 6: Add Bank Account, with Private checked.
    page.get_by_role("link", name="Add Bank Account").first.click()
    page.get_by_label("Name on the account").fill("Initech Inc")
    page.get_by_label("Routing number").fill("011000016")  # a wrong check digit first
    page.get_by_label("Account number", exact=True).fill("987654321")
    page.get_by_label("Confirm account number").fill("987654321")
    page.get_by_label("Checking").check()
    page.get_by_label("Private").check()
    check(page, "pay-step-6-add-bank-account")
    # Step 7: accept the Terms of Service and Save.
    page.get_by_label("I accept the Terms of Service").check()
    page.get_by_role("button", name="Save").click()
    assert page.locator("#id_routing_number_error").is_visible()
    screenshot(page, "pay-step-7-routing-refused")
    page.get_by_label("Routing number").fill("011000015")
    page.get_by_label("Account number", exact=True).fill("987654321")
    page.get_by_label("Confirm account number").fill("987654321")
    page.get_by_label("I accept the Terms of Service").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/pay-bills/")

    # Steps 8–10: Pay On, Total Payment (lowered), Pay.
    assert page.get_by_label("Pay from").input_value()
    later = next_banking_day(soonest_pay_on(initech.biller))
    page.get_by_label("Pay On").fill(later.isoformat())
    page.get_by_label("Total Payment").fill("1000.00")
    summary = page.locator("#pay-summary").inner_text()
    assert "$1,000.00" in summary and "3 invoices" in summary
    check(page, "pay-step-8-9-pay-on-and-total")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(re.compile(r".*/acme-supply/payments/\d+/"))
    assert page.get_by_text("Your payment of $1,000.00 is scheduled").is_visible()
    check(page, "pay-step-10-scheduled")

    payment = Payment.objects.get(customer=initech, method="ach")
    assert (payment.amount_cents, payment.pay_on, payment.status) == (100000, later, "scheduled")
    new_mail = mailbox()[before:]
    confirmation = next(m for m in new_mail if m["To"] == "pat@initech.example")
    text = parts(confirmation)["text/plain"]
    assert "$1,000.00" in text and "••••4321" in text and f"{later:%B}" in text
    assert "987654321" not in confirmation.as_string()

    page.set_viewport_size({"width": 375, "height": 760})
    page.goto(f"{base}/pay-bills/")
    screenshot(page, "pay-375px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
