"""The help article's "Set up Auto Pay" in a real browser: hover the gear, select "Auto Pay is off",
the Edit icon, Automatically Pay Bills, the Maximum Payment Amount, the Bank Account, the business
days before the due date, Save. Then the biller creates invoices in the console, the customer sees
the Auto Pay payments and reads the advance notice that was really delivered, follows its "Skip this
payment" link; and a member sees Auto Pay but can't change it. Screenshots: var/screenshots/autopay-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import axe_violations, screenshot
from remit.autopay.models import AutoPay, AutoPayClaim
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.lib.banking_days import add_banking_days
from remit.payments.models import Payment
from remit.site.demo import ACME_OWNER, DEMO_PASSWORD, load_demo
from remit.test import PASSWORD, find_link, make_bank_account, make_portal_user, parts, soonest_pay_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "pat@initech.example"
MEMBER = "sam@initech.example"


def check(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name
    assert page.console_errors == [], name


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{base}/")


def hover_gear(page, state: str) -> Any:
    """Hover the gear icon; the menu opens (CSS :hover) and shows "Auto Pay is <state>"."""
    item = page.get_by_role("link", name=f"Auto Pay is {state}")
    page.mouse.move(0, 0)
    assert not item.is_visible(), "the gear menu is closed until the gear is hovered"
    page.get_by_role("button", name="Account settings").hover()
    assert item.is_visible()
    return item


def autopay_on(customer: Customer) -> bool:
    return AutoPay.objects.filter(customer=customer, enabled=True).exists()


def console_page(browser) -> Any:
    """The biller's own browser (a second context: other cookies, other user)."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    console = context.new_page()
    errors: list[str] = []
    console.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    console.on("pageerror", lambda exc: errors.append(str(exc)))
    console.console_errors = errors
    return console


def create_invoice_in_console(console, description: str, unit_price: str) -> Invoice:
    console.get_by_role("navigation", name="Console").get_by_role("link", name="Customers").click()
    console.get_by_role("link", name="Initech").first.click()
    console.get_by_role("link", name="New invoice").click()
    console.get_by_label("Description").fill(description)
    console.get_by_label("Quantity").fill("1")
    console.get_by_label("Unit price").fill(unit_price)
    check(console, "autopay-step-8-console-new-invoice")
    console.get_by_role("button", name="Create invoice").click()
    assert console.get_by_text("It is visible in the customer's portal").is_visible()
    return Invoice.objects.get(lines__description=description)


def test_set_up_autopay_then_an_invoice_is_paid_noticed_and_skipped(page, browser, live_server, settings, mailbox):
    settings.REMIT_BASE_URL = live_server.url
    load_demo()
    initech = Customer.objects.get(reference="INITECH")
    pat = make_portal_user(initech)  # the admin, who signed up from an invoice link
    make_bank_account(pat, number="4000001234")
    second = make_bank_account(pat, number="4000005678")
    make_portal_user(initech, email=MEMBER, role="member")
    assert not autopay_on(initech)
    base = f"{live_server.url}/acme-supply"

    # Step 1: hover the gear icon and select "Auto Pay is off".
    sign_in(page, base, ADMIN)
    item = hover_gear(page, "off")
    check(page, "autopay-step-1-gear-auto-pay-is-off")
    item.click()
    page.wait_for_url(f"{base}/autopay/")
    assert page.get_by_role("heading", name="Auto Pay is off").is_visible()
    assert page.get_by_text("No Auto Pay payments are scheduled.").is_visible()
    check(page, "autopay-step-1-auto-pay-page-off")

    # Step 2: the Edit icon.
    page.get_by_role("link", name="Edit").click()
    page.wait_for_url(f"{base}/autopay/edit/")
    enabled = page.get_by_label("Automatically Pay Bills")
    assert not enabled.is_checked(), "Auto Pay is off: its checkbox starts unchecked"
    check(page, "autopay-step-2-edit")

    # Steps 3–6, with a bad maximum and too many days first: nothing changes.
    enabled.click()  # step 3: select the checkbox
    assert enabled.is_checked()
    page.get_by_label("Maximum Payment Amount").fill("12.345")
    page.get_by_label("Bank Account").select_option(str(second.pk))
    page.get_by_label("Number of business days").fill("31")
    page.get_by_label("Before or after the due date").select_option(label="before the due date")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/autopay/edit/")
    assert "more than two decimals" in page.locator("#id_max_amount_error").inner_text()
    assert page.locator("#id_days_error").inner_text() == "Enter a number of business days from 0 to 30."
    assert page.get_by_label("Maximum Payment Amount").input_value() == "12.345"
    assert page.get_by_label("Automatically Pay Bills").is_checked()
    assert not autopay_on(initech) and not AutoPay.objects.filter(customer=initech).exists()
    check(page, "autopay-step-3-6-refused")

    page.get_by_label("Maximum Payment Amount").fill("1,000.00")  # step 4
    assert page.get_by_label("Bank Account").input_value() == str(second.pk)  # step 5 (kept)
    page.get_by_label("Number of business days").fill("3")  # step 6
    page.get_by_label("Before or after the due date").select_option(label="before the due date")
    check(page, "autopay-step-3-6-filled")

    # Step 7: Save.
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/autopay/")
    assert page.get_by_role("heading", name="Auto Pay is on").is_visible()
    assert page.get_by_text("Auto Pay is on. It scheduled 3 payments").is_visible()  # Initech's open invoices
    state = page.get_by_role("region", name="Auto Pay is on").inner_text()
    assert "$1,000.00 per invoice" in state and "••••5678" in state
    assert "3 business days before the due date" in state
    check(page, "autopay-step-7-saved")
    setting = AutoPay.objects.get(customer=initech)
    assert (setting.enabled, setting.max_cents, setting.bank_account_id, setting.days, setting.when) == (
        True,
        100000,
        second.pk,
        3,
        "before",
    )
    hover_gear(page, "on")
    check(page, "autopay-step-7-gear-auto-pay-is-on")
    changed = [m for m in mailbox() if m["To"] == ADMIN and m["Subject"].startswith("Auto Pay is on")]
    assert len(changed) == 1

    # The biller creates invoices in the console: one below the maximum, one above it.
    console = console_page(browser)
    try:
        console.goto(f"{live_server.url}/console/signin/")
        console.get_by_label("Email").fill(ACME_OWNER)
        console.get_by_label("Password").fill(DEMO_PASSWORD)
        console.get_by_role("button", name="Sign in").click()
        console.wait_for_url(f"{live_server.url}/console/acme-supply/")
        before = len(mailbox())
        small = create_invoice_in_console(console, "Swingline staplers, red", "240")
        small_mail = mailbox()[before:]
        before = len(mailbox())
        large = create_invoice_in_console(console, "Conference room table", "1,500.00")
        large_mail = mailbox()[before:]
        check(console, "autopay-step-8-console-invoice-created")
    finally:
        console.context.close()

    small_payment = AutoPayClaim.objects.get(invoice=small).payment
    large_claim = AutoPayClaim.objects.get(invoice=large)
    pay_on = add_banking_days(small.due_date, -3)
    assert pay_on >= soonest_pay_on(initech.biller)
    assert (small_payment.amount_cents, small_payment.pay_on, small_payment.bank_account_id) == (
        24000,
        pay_on,
        second.pk,
    )
    assert (large_claim.payment.amount_cents, large_claim.left_to_pay_cents) == (100000, 50000)
    assert (small_payment.status, small_payment.is_autopay) == ("scheduled", True)

    # Back in the portal: the Auto Pay page lists the payments.
    page.reload()
    upcoming = page.get_by_role("region", name="Upcoming Auto Pay payments")
    small_row = upcoming.get_by_role("row").filter(has_text=small.number)
    assert "$240.00" in small_row.inner_text() and f"{pay_on:%b} {pay_on.day}, {pay_on.year}" in small_row.inner_text()
    large_row, limit_row = upcoming.get_by_role("row").filter(has_text=large.number).all()
    assert "$1,000.00" in large_row.inner_text()
    assert "pay the remaining $500.00 by hand" in limit_row.inner_text()
    check(page, "autopay-step-9-upcoming-payments")

    # The advance notices that were really delivered.
    [notice] = [m for m in small_mail if m["To"] == ADMIN and m["Subject"].startswith("Auto Pay will pay")]
    assert notice["Subject"] == f"Auto Pay will pay Acme Supply Co. $240.00 on {pay_on:%b} {pay_on.day}, {pay_on.year}"
    text = parts(notice)["text/plain"]
    html = parts(notice)["text/html"]
    long_date = f"{pay_on:%A, %B} {pay_on.day}, {pay_on.year}"
    for body in (text, html):
        assert small.number in body and "$240.00" in body and long_date in body and "••••5678" in body
        assert "Skip this payment" in body and "by hand" not in body
    assert "4000005678" not in notice.as_string()
    skip_link = find_link(text, "/autopay/skip/")
    assert skip_link in html

    [big_notice] = [m for m in large_mail if m["To"] == ADMIN and m["Subject"].startswith("Auto Pay will pay")]
    big_text = parts(big_notice)["text/plain"]
    assert "$1,000.00" in big_text and "••••5678" in big_text and "Skip this payment: http" in big_text
    assert "pay the remaining $500.00 by hand" in big_text
    [limit] = [m for m in large_mail if m["To"] == ACME_OWNER]
    assert "$500.00 left to pay" in parts(limit)["text/plain"] and large.number in parts(limit)["text/plain"]

    # The notice's "Skip this payment" link: the page asks, and only the button skips it.
    page.goto(skip_link)
    assert page.get_by_role("heading", name="Skip this Auto Pay payment?").is_visible()
    assert page.get_by_text("$240.00").is_visible() and page.get_by_text(long_date).is_visible()
    assert Payment.objects.get(pk=small_payment.pk).status == "scheduled"  # opening the link changed nothing
    check(page, "autopay-step-10-skip-asks")
    before = len(mailbox())
    page.get_by_role("button", name="Skip this payment").click()
    assert page.get_by_role("heading", name="Payment skipped").is_visible()
    assert page.locator("dl.kv").get_by_text("Cancelled").is_visible()
    check(page, "autopay-step-10-skipped")
    assert Payment.objects.get(pk=small_payment.pk).status == "cancelled"
    assert AutoPayClaim.objects.filter(invoice=small).exists(), "Auto Pay never schedules a skipped invoice again"
    assert Payment.objects.get(pk=large_claim.payment_id).status == "scheduled"
    assert any(m["Subject"] == "Auto Pay payment of $240.00 skipped" for m in mailbox()[before:])
    page.goto(f"{base}/autopay/")
    assert page.get_by_role("region", name="Upcoming Auto Pay payments").get_by_text(small.number).count() == 0

    page.set_viewport_size({"width": 375, "height": 760})
    screenshot(page, "autopay-375px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto(f"{base}/autopay/edit/")
    screenshot(page, "autopay-edit-375px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 860})

    # A member sees Auto Pay's state but can't change it.
    page.get_by_role("button", name="Account settings").hover()
    page.get_by_role("button", name="Sign Out").click()
    sign_in(page, base, MEMBER)
    hover_gear(page, "on").click()
    page.wait_for_url(f"{base}/autopay/")
    assert page.get_by_role("heading", name="Auto Pay is on").is_visible()
    assert page.get_by_role("link", name="Edit").count() == 0
    assert page.get_by_role("button", name=re.compile("Skip this payment")).count() == 0
    assert page.get_by_text("Only an admin of Initech's account can change Auto Pay.").is_visible()
    check(page, "autopay-member-page")
    response = page.goto(f"{base}/autopay/edit/")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="Only an admin can change Auto Pay").is_visible()
    screenshot(page, "autopay-member-edit-403")
    assert axe_violations(page) == []
    assert [e for e in page.console_errors if "403" not in e] == []
    assert autopay_on(initech) and AutoPay.objects.get(customer=initech).version == setting.version
