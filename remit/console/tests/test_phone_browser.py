"""Every console page on a phone (375 px wide, the demo's Acme Supply Co.): no page scrolls sideways
as a whole — a wide table may scroll inside its own box — and no text is cut off; on a desktop
(1280 px) the top bar fits one line. Screenshots: var/screenshots/phone-console-*.png."""

from __future__ import annotations

import pytest

from conftest import cut_off_text, page_overflow, screenshot
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.reminders.models import ReminderStep
from remit.site.demo import ACME_OWNER, DEMO_PASSWORD, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 860}

# The top bar's pieces (product, each nav link, who is signed in), as [top, bottom] in px.
TOP_BAR_BOXES_JS = """() => [...document.querySelectorAll(
  '.console-bar .product, .console-bar nav a, .console-bar .who > *'
)].map((el) => { const box = el.getBoundingClientRect(); return [el.textContent.trim(), box.top, box.bottom]; })"""


def phone_problems(page, name: str) -> list[str]:
    screenshot(page, f"phone-console-{name}")
    problems = [f"{name}: {text}" for text in cut_off_text(page, scrolling_boxes_ok=True)]
    if overflow := page_overflow(page):
        problems.append(f"{name}: the page is {overflow} px wider than the phone")
    return problems


def test_every_console_page_fits_a_phone_and_the_top_bar_one_line(page, live_server, settings, tmp_path):
    settings.REMIT_BASE_URL = live_server.url
    settings.DATA_DIR = tmp_path  # the demo's ACH file
    load_demo()
    console = f"{live_server.url}/console"
    invoice = Invoice.objects.filter(customer__reference="GLOBEX", pending_cents__gt=0).order_by("pk")[0]
    customer = Customer.objects.get(reference="GLOBEX")
    for offset in (-7, 0, 14):  # a schedule: the reminder pages show steps and upcoming reminders
        ReminderStep.objects.get_or_create(  # the demo's schedule may have a step that day already
            biller=customer.biller, offset_days=offset, defaults={"subject": f"Reminder {offset:+d}"}
        )
    page.set_viewport_size(PHONE)
    problems: list[str] = []

    for name, path in [("signin", "/signin/"), ("signup", "/signup/")]:
        page.goto(f"{console}{path}")
        problems += phone_problems(page, name)

    page.goto(f"{console}/signin/")
    page.get_by_label("Email").fill(ACME_OWNER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console}/acme-supply/")

    pages = [
        ("dashboard", "/"),
        ("invoices", "/invoices/"),
        ("invoice-new", "/invoices/new/"),
        ("invoice", f"/invoices/{invoice.pk}/"),
        ("invoice-edit", f"/invoices/{invoice.pk}/edit/"),
        ("invoice-record-payment", f"/invoices/{invoice.pk}/payments/new/"),
        ("payments", "/payments/"),
        ("customers", "/customers/"),
        ("customer-new", "/customers/new/"),
        ("customer", f"/customers/{customer.pk}/"),
        ("customer-edit", f"/customers/{customer.pk}/edit/"),
        ("import", "/import/"),
        ("authorizations", "/authorizations/"),
        ("ach", "/ach/"),
        ("ach-returns-upload", "/ach/returns/upload/"),
        ("ach-return-rates", "/ach/return-rates/"),
        ("settings-branding", "/branding/"),
        ("settings-portal-address", "/portal-address/"),
        ("settings-team", "/team/"),
        ("settings-invoicing", "/settings/invoicing/"),
        ("settings-ach", "/settings/ach/"),
        ("bank-connection", "/ach/bank/"),
        ("settings-api-keys", "/settings/api-keys/"),
        ("settings-webhooks", "/settings/webhooks/"),
        ("settings-payments", "/settings/payments/"),
        ("settings-retries", "/settings/retries/"),
        ("settings-reminders", "/settings/reminders/"),
        ("reminders-upcoming", "/reminders/upcoming/"),
        ("settings-account-validation", "/settings/account-validation/"),
        ("customer-payment-settings", f"/customers/{customer.pk}/payment-settings/"),
        ("review", "/review/"),
    ]
    for name, path in pages:
        page.goto(f"{console}/acme-supply{path}")
        problems += phone_problems(page, name)
    assert problems == [], "\n".join(problems)
    assert page.console_errors == []  # includes any Content-Security-Policy violation
    assert page.failed_responses == []

    page.set_viewport_size(DESKTOP)
    for name, path in [("dashboard", "/"), ("ach", "/ach/"), ("payments", "/payments/"), ("review", "/review/")]:
        page.goto(f"{console}/acme-supply{path}")
        screenshot(page, f"desktop-console-{name}")
        boxes = page.evaluate(TOP_BAR_BOXES_JS)
        assert len(boxes) == 9, boxes  # Remit, six links, the email and Sign out
        lowest_top, highest_bottom = max(top for _, top, _ in boxes), min(bottom for _, _, bottom in boxes)
        assert lowest_top < highest_bottom, f"{name}: the top bar wraps: {boxes}"
