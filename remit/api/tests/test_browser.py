"""In a real browser (Debian's chromium): an owner creates an API key in the console, sees it once,
and tries it on /api/v1/docs — Swagger UI from Remit's own files, under the strict CSP, with no
console errors (a blocked script or style would show as one)."""

from __future__ import annotations

import re

import pytest

from conftest import screenshot
from remit.api.models import ApiKey
from remit.test import PASSWORD, make_biller, make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_creates_a_key_and_tries_it_on_the_docs_page(page, live_server, settings):
    settings.REMIT_BASE_URL = live_server.url
    base = live_server.url
    acme, owner = make_biller("Acme Supply Co.")
    make_customer(acme, "Globex Corporation")

    page.goto(f"{base}/console/signin/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/console/{acme.slug}/settings/api-keys/")
    page.get_by_label("Name").fill("Accounting sync")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("API key").input_value()
    assert re.fullmatch(r"rk_live_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}", secret)
    screenshot(page, "api-01-key-created")
    page.reload()  # a GET: the key is never shown again
    assert secret not in page.content() and ApiKey.objects.get().prefix in page.content()

    page.goto(f"{base}/api/v1/docs")
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".dialog-ux")
    dialog.locator("input").fill(secret)
    dialog.get_by_role("button", name="Apply credentials").click()
    dialog.get_by_role("button", name="Close", exact=True).click()
    operation = page.locator("#operations-customers-customers_list")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert "Globex Corporation" in operation.locator(".live-responses-table").inner_text()
    screenshot(page, "api-02-docs-try-it-out")
    assert page.console_errors == []
    assert not [f for f in page.failed_responses if "/api/v1/docs" in f or "/static/" in f]
