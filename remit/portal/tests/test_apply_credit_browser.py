"""Apply credit in a real browser: ticking it lowers the Total Payment to what the credit leaves and
says so, then Pay applies the credit and schedules the rest. Screenshots: var/screenshots/apply-credit-*.png."""

from __future__ import annotations

import re

import pytest

from conftest import axe_violations, screenshot
from remit.customers.models import Customer
from remit.payments.credits import credit_available_cents, credit_issue
from remit.payments.models import Payment
from remit.site.demo import load_demo
from remit.test import PASSWORD, make_bank_account, make_portal_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_apply_credit_lowers_the_total_payment_and_pays_the_rest(page, live_server, settings):
    settings.REMIT_BASE_URL = live_server.url
    load_demo()
    initech = Customer.objects.get(reference="INITECH")
    make_bank_account(make_portal_user(initech))
    already = credit_available_cents(initech.pk)  # the demo's own credit note for Initech
    credit_issue(
        biller=initech.biller, customer=initech, amount_cents=25000 - already, reason="Damaged goods", actor=None
    )
    base = f"{live_server.url}/acme-supply"
    page.goto(f"{base}/signin/")
    page.get_by_label("Email").fill("pat@initech.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Pay Outstanding Bills").first.click()
    total = page.get_by_label("Total Payment")
    due = float(total.input_value())
    assert page.get_by_text("Available credit: $250.00").is_visible()
    page.get_by_label("Apply credit").check()
    assert float(total.input_value()) == pytest.approx(due - 250)
    assert "$250.00 of your credit is applied first" in page.locator("#pay-summary").inner_text()
    screenshot(page, "apply-credit-1280")
    assert axe_violations(page) == [] and page.console_errors == []
    page.set_viewport_size({"width": 375, "height": 760})
    screenshot(page, "apply-credit-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(re.compile(r".*/acme-supply/payments/\d+/"))
    assert page.get_by_text("$250.00 of your credit was applied.").is_visible()
    payment = Payment.objects.get(customer=initech, method="ach")
    assert payment.amount_cents == round((due - 250) * 100)
