"""A biller sets up Remit in a real browser (Debian's chromium): sign up, upload a logo, pick a
colour, choose the portal address, and see the branded portal. Screenshots: var/screenshots/."""

from __future__ import annotations

import pytest

from conftest import screenshot
from remit.billers.models import Biller
from remit.test import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def base(live_server, settings):
    settings.REMIT_BASE_URL = live_server.url
    return live_server.url


def test_a_biller_signs_up_brands_its_portal_and_sees_it(page, base, tmp_path):
    logo_file = tmp_path / "acme-logo.png"
    from remit.site.demo import acme_logo_png

    logo_file.write_bytes(acme_logo_png())
    svg_file = tmp_path / "logo.svg"
    svg_file.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')

    page.goto(f"{base}/console/signup")
    page.get_by_label("Business name").fill("Acme Supply Co.")
    page.get_by_label("Your name").fill("Alex Acme")
    page.get_by_label("Email").fill("alex@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "console-01-signup")
    page.get_by_role("button", name="Create my console").click()
    page.wait_for_url(f"{base}/console/acme-supply/")
    assert page.get_by_text(f"{base}/acme-supply/").first.is_visible()
    screenshot(page, "console-02-dashboard")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Settings").click()  # Branding first
    page.get_by_label("Logo", exact=True).set_input_files(str(svg_file))
    page.get_by_role("button", name="Save branding").click()
    page.get_by_text("SVG files are not accepted").wait_for()  # the refused form's page has loaded
    assert page.get_by_text("SVG files are not accepted").is_visible()
    screenshot(page, "console-03-branding-refused-svg")

    page.get_by_label("Logo", exact=True).set_input_files(str(logo_file))
    page.get_by_label("Brand colour").fill("#c2410c")
    page.get_by_role("button", name="Save branding").click()
    assert page.get_by_text("Branding saved.").is_visible()
    preview = page.locator(".preview img")
    assert preview.evaluate("img => img.naturalWidth") > 0
    screenshot(page, "console-04-branding-saved")

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Portal address").click()
    page.get_by_label("Portal address").fill("acme")
    page.get_by_role("button", name="Save address").click()
    assert page.get_by_text("the old address redirects there").is_visible()
    screenshot(page, "console-05-portal-address")

    page.goto(f"{base}/acme-supply/")  # the old address
    page.wait_for_url(f"{base}/acme/signin/?next=%2Facme%2F")
    logo = page.get_by_role("img", name="Acme Supply Co.")
    assert logo.evaluate("img => img.naturalWidth") > 0
    assert page.get_by_role("heading", name="Sign in to pay Acme Supply Co.").is_visible()
    bar_colour = page.locator(".portal-bar").evaluate("el => getComputedStyle(el).borderTopColor")
    assert bar_colour == "rgb(194, 65, 12)"  # #c2410c
    screenshot(page, "portal-01-signin")

    page.set_viewport_size({"width": 375, "height": 740})
    screenshot(page, "portal-02-signin-375px")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the portal must not scroll sideways on a phone"

    assert page.failed_responses == []
    assert page.console_errors == []  # includes any Content-Security-Policy violation
    biller = Biller.objects.get()
    assert (biller.slug, biller.brand_color, biller.has_logo) == ("acme", "#c2410c", True)


def test_staff_of_another_biller_sees_nothing(page, base):
    from remit.billers.actions import biller_sign_up

    biller_sign_up(business_name="Acme Supply Co.", owner_name="A", email="a@acme.example", password=PASSWORD)
    biller_sign_up(business_name="Globex Corporation", owner_name="G", email="g@globex.example", password=PASSWORD)
    page.goto(f"{base}/console/signin/")
    page.get_by_label("Email").fill("g@globex.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/globex/")
    response = page.goto(f"{base}/console/acme-supply/branding/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    screenshot(page, "console-06-other-biller-404")
