"""Every portal page on a phone (375 px wide, the demo's Globex and Initech): the page never scrolls
sideways and no text — amounts, due dates, statuses above all — is cut off or hidden in a box that
scrolls sideways. Screenshots: var/screenshots/phone-portal-*.png (and desktop-portal-*.png)."""

from __future__ import annotations

import pytest

from conftest import axe_violations, cut_off_text, page_overflow, screenshot
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.notifications.unsubscribe import unsubscribe_token
from remit.payments.models import Payment
from remit.site.demo import DEMO_PASSWORD, GLOBEX_ADMIN, load_demo
from remit.test import find_link, parts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 860}
# The pages whose tables turn into cards on a phone: checked for accessibility too.
TABLE_PAGES = {"home", "invoices", "pay-bills", "payments"}


def phone_problems(page, name: str) -> list[str]:
    screenshot(page, f"phone-portal-{name}")
    problems = [f"{name}: {text}" for text in cut_off_text(page)]
    if overflow := page_overflow(page):
        problems.append(f"{name}: the page is {overflow} px wider than the phone")
    if name in TABLE_PAGES:
        problems += [f"{name}: {violation}" for violation in axe_violations(page)]
    return problems


def test_every_portal_page_fits_a_phone(page, live_server, settings, mailbox, tmp_path):
    settings.REMIT_BASE_URL = live_server.url
    settings.DATA_DIR = tmp_path  # the demo's ACH file
    load_demo()
    portal = f"{live_server.url}/acme-supply"
    globex = Customer.objects.get(reference="GLOBEX")
    invoice_ids = list(Invoice.objects.filter(customer=globex).order_by("pk").values_list("pk", flat=True))
    payment_ids = list(Payment.objects.filter(customer=globex).order_by("pk").values_list("pk", flat=True))
    account_id = globex.bank_accounts.get().pk
    token = unsubscribe_token(biller_id=globex.biller_id, address=GLOBEX_ADMIN, category="reminders")
    unsubscribe = f"/unsubscribe/{token}/"
    initech_mail = [m for m in mailbox() if m["To"] == "pat@initech.example"][-1]
    initech_link = find_link(parts(initech_mail)["text/html"], "/pay/")
    page.set_viewport_size(PHONE)
    problems: list[str] = []

    # Signed out: sign in, forgotten password, and sign-up from Initech's invoice email.
    for name, url in [("signin", f"{portal}/signin/"), ("password-forgot", f"{portal}/password/forgot/")]:
        page.goto(url)
        problems += phone_problems(page, name)
    page.goto(initech_link)
    problems += phone_problems(page, "signup")

    page.goto(f"{portal}/signin/")
    page.get_by_label("Email").fill(GLOBEX_ADMIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{portal}/")

    pages = [
        ("home", "/"),
        ("invoices", "/invoices/"),
        ("invoices-outstanding", "/invoices/?status=outstanding"),
        *[(f"invoice-{n}", f"/invoices/{pk}/") for n, pk in enumerate(invoice_ids, 1)],
        ("pay-bills", "/pay-bills/"),
        ("payments", "/payments/"),
        *[(f"payment-{n}", f"/payments/{pk}/") for n, pk in enumerate(payment_ids, 1)],
        ("autopay", "/autopay/"),
        ("autopay-edit", "/autopay/edit/"),
        ("bank-accounts", "/bank-accounts/"),
        ("bank-account-new", "/bank-accounts/new/"),
        ("bank-account-remove", f"/bank-accounts/{account_id}/remove/"),
        ("people", "/people/"),
        ("security", "/security/"),
        ("email-preferences", "/email-preferences/"),
        ("unsubscribe", unsubscribe),
    ]
    for name, path in pages:
        page.goto(f"{portal}{path}")
        problems += phone_problems(page, name)

    # The gear menu opens inside the phone's width.
    page.goto(f"{portal}/")
    page.get_by_role("button", name="Account settings").click()
    problems += [f"gear menu: {text}" for text in cut_off_text(page)]
    screenshot(page, "phone-portal-gear-menu")

    assert problems == [], "\n".join(problems)
    assert page.console_errors == []  # includes any Content-Security-Policy violation
    assert page.failed_responses == []

    # On a desktop the same lists stay tables, with their column headers.
    page.set_viewport_size(DESKTOP)
    for name, path in [
        ("home", "/"),
        ("invoices", "/invoices/"),
        ("pay-bills", "/pay-bills/"),
        ("payments", "/payments/"),
    ]:
        page.goto(f"{portal}{path}")
        screenshot(page, f"desktop-portal-{name}")
        assert page.locator("thead").first.is_visible(), name
        assert cut_off_text(page) == [], name
    for name, path in [("email-preferences", "/email-preferences/"), ("unsubscribe", unsubscribe)]:
        page.goto(f"{portal}{path}")
        screenshot(page, f"desktop-portal-{name}")
        assert cut_off_text(page) == [], name
