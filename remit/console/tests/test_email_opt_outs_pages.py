"""The biller sees who opted out of which emails: Customers → Email opt-outs, and each customer's page."""

import pytest
from django.test import Client

from remit.notifications.models import OptOutHow
from remit.notifications.preferences import email_opt_out
from remit.test import make_biller, make_customer, make_staff

pytestmark = pytest.mark.django_db


def _console(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_customer_page_shows_its_addresses_opt_outs_with_how_and_when(world):
    email_opt_out(biller=world.biller, address="ap@globex.example", category="reminders", how=OptOutHow.ONE_CLICK)
    email_opt_out(biller=world.biller, address="clerk@globex.example", category="statements", how=OptOutHow.PREFERENCES)
    email_opt_out(biller=world.biller, address="ap@initech.example", category="autopay", how=OptOutHow.LINK_PAGE)
    html = _console(world.owner).get(f"/console/acme-supply/customers/{world.customer.pk}/").content.decode()
    assert "Email opt-outs" in html
    assert "ap@globex.example" in html and "No Payment reminders" in html and "One-click unsubscribe" in html
    assert "clerk@globex.example" in html and "No Statements of account" in html  # a portal login's address
    assert "Portal email preferences" in html
    assert "ap@initech.example" not in html and "Auto Pay notices" not in html  # another customer's


def test_a_customer_nobody_opted_out_of_says_so(world):
    html = _console(world.owner).get(f"/console/acme-supply/customers/{world.customer.pk}/").content.decode()
    assert "Every address of Globex Corporation receives reminders" in html


def test_the_billers_list_shows_every_opt_out_with_its_customer_and_searches(world):
    make_customer(world.biller, "Hooli", email="billing@hooli.example")
    email_opt_out(biller=world.biller, address="ap@globex.example", category="reminders", how=OptOutHow.ONE_CLICK)
    email_opt_out(biller=world.biller, address="billing@hooli.example", category="statements", how=OptOutHow.LINK_PAGE)
    email_opt_out(biller=world.biller, address="gone@nowhere.example", category="autopay", how=OptOutHow.LINK_PAGE)
    staff = make_staff(world.biller)
    client = _console(staff)  # staff see it too: it is read only
    html = client.get("/console/acme-supply/customers/opt-outs/").content.decode()
    for expected in (
        "ap@globex.example",
        "Globex Corporation",
        "Payment reminders",
        "One-click unsubscribe in their mail app",
        "billing@hooli.example",
        "Hooli",
        "Unsubscribe link in an email",
        "gone@nowhere.example",
    ):
        assert expected in html, expected
    html = client.get("/console/acme-supply/customers/opt-outs/?q=HOOLI").content.decode()
    assert "billing@hooli.example" in html and "ap@globex.example" not in html
    assert "Email opt-outs" in client.get("/console/acme-supply/customers/").content.decode()


def test_another_biller_sees_none_of_it(world):
    email_opt_out(biller=world.biller, address="ap@globex.example", category="reminders", how=OptOutHow.ONE_CLICK)
    _, other_owner = make_biller("Bolt Hardware Inc.")
    client = _console(other_owner)
    assert client.get("/console/acme-supply/customers/opt-outs/").status_code == 404
    assert client.get(f"/console/acme-supply/customers/{world.customer.pk}/").status_code == 404
    html = client.get("/console/bolt-hardware/customers/opt-outs/").content.decode()
    assert "ap@globex.example" not in html and "No one has opted out of your emails." in html


def test_the_list_shows_recent_changes_including_resubscriptions(world):
    from remit.notifications.preferences import email_preferences_save

    email_preferences_save(biller=world.biller, address="ap@globex.example", receive=["statements"], actor=world.admin)
    email_preferences_save(
        biller=world.biller, address="ap@globex.example", receive=["statements", "reminders"], actor=world.admin
    )
    html = _console(world.owner).get("/console/acme-supply/customers/opt-outs/").content.decode()
    assert "ap@globex.example receives again Payment reminders · Portal email preferences (ap@globex.example)" in html
    assert "ap@globex.example stopped Auto Pay notices" in html
