"""A biller invoices a customer in a real browser: add the customer, write an invoice with two lines,
send it, and the customer opens the Pay Invoice Electronically link from the email that was really
delivered. Screenshots: var/screenshots/invoicing-*.png."""

from __future__ import annotations

import re

import pytest

from conftest import screenshot
from remit.site.demo import load_demo
from remit.test import parts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(page, live_server, settings):
    settings.REMIT_BASE_URL = live_server.url
    load_demo()
    page.goto(f"{live_server.url}/console/signin/")
    page.get_by_label("Email").fill("owner@acme-supply.example")
    page.get_by_label("Password").fill("remit-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/console/acme-supply/")
    return live_server.url


def test_invoice_a_new_customer_and_follow_the_emailed_link(page, signed_in, mailbox):
    assert signed_in
    screenshot(page, "invoicing-01-dashboard")
    assert page.get_by_role("heading", name="Receivables aging").is_visible()

    nav = page.get_by_role("navigation", name="Console")
    nav.get_by_role("link", name="Customers").click()
    screenshot(page, "invoicing-02-customers")
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill("Umbrella Corp")
    page.get_by_label("Billing email addresses").fill("billing@umbrella.example")
    page.get_by_label("Customer reference").fill("UMB-7")
    page.get_by_label("ZIP code").fill("abc")
    page.get_by_role("button", name="Add customer").click()
    assert page.get_by_text("Enter a ZIP code like 12345").is_visible()
    page.get_by_label("ZIP code").fill("10001")
    page.get_by_role("button", name="Add customer").click()
    assert page.get_by_role("heading", name="Umbrella Corp").is_visible()

    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Description").fill("Hazmat suits")
    page.get_by_label("Quantity").fill("4")
    page.get_by_label("Unit price").fill("249.50")
    page.get_by_role("button", name="Add another line").click()
    page.get_by_role("group", name="Line 2").get_by_label("Description").fill("Decontamination service")
    page.get_by_role("group", name="Line 2").get_by_label("Unit price").fill("1,200")
    page.get_by_label("Tax rate (%)").fill("8")
    screenshot(page, "invoicing-03-new-invoice")
    page.get_by_role("button", name="Create invoice").click()
    assert page.get_by_text("It is visible in the customer's portal").is_visible()
    assert page.get_by_text("$2,373.84").first.is_visible()  # (998 + 1200) × 1.08
    page.get_by_role("button", name="Send invoice").click()
    assert page.get_by_text("emailed to billing@umbrella.example").is_visible()
    screenshot(page, "invoicing-04-invoice-sent")

    nav.get_by_role("link", name="Invoices").click()
    page.get_by_label("Status").select_option("overdue")
    page.get_by_role("button", name="Filter").click()
    screenshot(page, "invoicing-05-overdue-invoices")
    assert page.get_by_text("Initech").first.is_visible()

    [email] = [m for m in mailbox() if m["To"] == "billing@umbrella.example"]
    found = re.search(r"(http://\S+/pay/\S+/)", parts(email)["text/plain"])
    assert found, "the email has no Pay Invoice Electronically link"
    link = found.group(1)
    page.goto(link)
    assert page.get_by_text("$2,373.84").first.is_visible()
    assert page.get_by_role("heading", name="Pay Invoice Electronically").is_visible()
    assert page.get_by_role("img", name="Acme Supply Co.").is_visible()
    screenshot(page, "invoicing-06-pay-link")
    page.set_viewport_size({"width": 375, "height": 740})
    screenshot(page, "invoicing-07-pay-link-375px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.console_errors == []


def test_dashboard_and_import_pages_at_phone_width(page, signed_in):
    base = signed_in
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{base}/console/acme-supply/")
    screenshot(page, "invoicing-08-dashboard-375px")
    page.goto(f"{base}/console/acme-supply/import/")
    screenshot(page, "invoicing-09-import-375px")
    page.goto(f"{base}/console/acme-supply/invoices/")
    screenshot(page, "invoicing-10-invoices-375px")
    assert page.console_errors == []
