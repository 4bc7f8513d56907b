"""The help article's steps 1–5 in a real browser, from the invoice email that was really delivered:
Pay Invoice Electronically → create a password → account type → Sign Up → Pay Outstanding Bills.
Every page is checked with axe-core and photographed (var/screenshots/portal-step-*.png)."""

from __future__ import annotations

import re

import pytest

from conftest import axe_violations, screenshot
from remit.site.demo import load_demo
from remit.test import find_link, parts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name
    assert page.console_errors == [], name


def test_steps_1_to_5_from_the_delivered_invoice_email(page, live_server, settings, mailbox):
    settings.REMIT_BASE_URL = live_server.url
    load_demo()  # Initech has no login; its open invoices were emailed
    initech_mail = [m for m in mailbox() if m["To"] == "pat@initech.example"]
    assert initech_mail, "the demo's invoice emails were delivered"
    html = parts(initech_mail[-1])["text/html"]
    assert ">Pay Invoice Electronically</a>" in html
    link = find_link(html, "/pay/")

    # Step 1: the customer selects Pay Invoice Electronically.
    page.goto(link)
    assert page.get_by_role("heading", name="Pay Invoice Electronically").is_visible()
    assert page.get_by_role("img", name="Acme Supply Co.").is_visible()
    check(page, "portal-step-1-create-password")

    # Steps 2–4: create a password, select an account type, Sign Up.
    page.get_by_label("Create a password").fill("initech-pays-2026")
    page.get_by_label("Confirm password").fill("initech-pays-2026")
    page.get_by_label("Business").check()
    page.get_by_role("button", name="Sign Up").click()

    # Step 5: the portal's home page, with Pay Outstanding Bills.
    page.wait_for_url(f"{live_server.url}/acme-supply/")
    assert page.get_by_text("Welcome to Acme Supply Co.'s payment portal.").is_visible()
    assert page.get_by_role("heading", name="Initech").is_visible()
    check(page, "portal-step-5-home")
    page.get_by_role("link", name="Pay Outstanding Bills").first.click()
    page.wait_for_url(f"{live_server.url}/acme-supply/pay-bills/")
    check(page, "portal-step-5-outstanding-bills")

    # Every invoice, emailed or not (Things to know).
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Invoices").click()
    check(page, "portal-invoices")
    assert page.get_by_role("link", name=re.compile(r"INV-\d+")).count() == 4
    page.get_by_role("link", name=re.compile(r"INV-\d+")).first.click()
    check(page, "portal-invoice")

    # The gear menu opens on hover, and by keyboard.
    page.get_by_role("button", name="Account settings").hover()
    assert page.get_by_role("link", name="People with access").is_visible()
    screenshot(page, "portal-gear-menu")
    page.mouse.move(0, 0)
    page.get_by_role("button", name="Account settings").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Auto Pay is off"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bank accounts"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "People with access"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/acme-supply/people/")
    check(page, "portal-people")
    page.goto(f"{live_server.url}/acme-supply/security/")
    check(page, "portal-two-factor")

    # At 375 px wide.
    page.set_viewport_size({"width": 375, "height": 760})
    for path, name in [("/acme-supply/", "portal-375-home"), ("/acme-supply/invoices/", "portal-375-invoices")]:
        page.goto(f"{live_server.url}{path}")
        screenshot(page, name)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path

    # Sign out, and sign in later at the branded address.
    page.set_viewport_size({"width": 1280, "height": 860})
    page.get_by_role("button", name="Account settings").hover()
    page.get_by_role("button", name="Sign Out").click()
    page.wait_for_url(f"{live_server.url}/acme-supply/signin/")
    check(page, "portal-signin")
    page.get_by_label("Email").fill("pat@initech.example")
    page.get_by_label("Password").fill("initech-pays-2026")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/acme-supply/")


def test_the_console_and_a_portal_stay_signed_in_side_by_side(page, live_server, settings):
    settings.REMIT_BASE_URL = live_server.url
    load_demo()
    page.goto(f"{live_server.url}/console/signin/")
    page.get_by_label("Email").fill("owner@acme-supply.example")
    page.get_by_label("Password").fill("remit-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/acme-supply/signin/")
    page.get_by_label("Email").fill("ap@globex.example")
    page.get_by_label("Password").fill("remit-demo-2026")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/acme-supply/")
    page.goto(f"{live_server.url}/console/acme-supply/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()  # still signed in to the console
    page.goto(f"{live_server.url}/acme-supply/")
    assert page.get_by_role("heading", name="Globex Corporation").is_visible()
