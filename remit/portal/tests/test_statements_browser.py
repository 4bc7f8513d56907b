"""The Statements page in a real browser, on a desktop and a phone (the demo's Globex): the period
chooser works without scripts, nothing is cut off or scrolls sideways, and Download PDF downloads.
Screenshots: var/screenshots/{desktop,phone}-portal-statements.png."""

from __future__ import annotations

import pytest

from conftest import axe_violations, cut_off_text, page_overflow, screenshot
from remit.site.demo import DEMO_PASSWORD, GLOBEX_ADMIN, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_statement_on_a_desktop_and_a_phone(page, live_server, settings, tmp_path):
    settings.REMIT_BASE_URL = live_server.url
    settings.DATA_DIR = tmp_path  # the demo's ACH file
    load_demo()
    portal = f"{live_server.url}/acme-supply"
    page.goto(f"{portal}/signin/")
    page.get_by_label("Email").fill(GLOBEX_ADMIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{portal}/")

    page.get_by_role("link", name="Statements").click()
    page.get_by_label("Period", exact=True).select_option("this_year")
    page.get_by_role("button", name="Show statement").click()
    page.wait_for_url("**/statements/?period=this_year*")
    assert page.get_by_text("Closing balance on").is_visible()
    assert page.locator("thead").first.is_visible()
    screenshot(page, "desktop-portal-statements")
    assert cut_off_text(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.startswith("statement-GLOBEX-")

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    screenshot(page, "phone-portal-statements")
    assert cut_off_text(page) == []
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    assert page.console_errors == []  # includes any Content-Security-Policy violation
