"""The unsubscribe link (one-click and its page) and the Email preferences page."""

import re

import pytest
from django.db import transaction
from django.test import Client

from remit.billers.actions import biller_change_slug, biller_set_custom_domain
from remit.notifications.actions import email_send_optional, outbox_deliver_due
from remit.notifications.categories import EmailCategory
from remit.notifications.models import EmailOptOut, EmailPreferenceChange, OptOutHow
from remit.notifications.preferences import email_opt_out
from remit.notifications.unsubscribe import unsubscribe_token
from remit.test import make_biller, make_customer, make_portal_user, portal_login

pytestmark = pytest.mark.django_db


def _link(biller, address="ap@globex.example", category="reminders"):
    return f"/{biller.slug}/unsubscribe/{unsubscribe_token(biller_id=biller.pk, address=address, category=category)}/"


def _opt_outs():
    return list(EmailOptOut.objects.values_list("address", "category", "how"))


def _send_reminder(biller, to):
    with transaction.atomic():
        return email_send_optional(
            to=to,
            category=EmailCategory.REMINDERS,
            template="portal_access_link",
            context={"customer": {"name": "Globex Corporation"}, "link": biller.portal_url("")},
            biller=biller,
        )


def test_a_mail_apps_one_click_post_unsubscribes_without_a_session_or_csrf_and_twice_is_once(world):
    client = Client(enforce_csrf_checks=True)
    link = _link(world.biller)
    for _ in range(2):
        response = client.post(link, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert _opt_outs() == [("ap@globex.example", "reminders", OptOutHow.ONE_CLICK)]
    assert EmailPreferenceChange.objects.count() == 1
    assert not client.cookies  # no session was started


def test_the_link_from_a_real_email_stops_the_next_one(world, mailbox):
    _send_reminder(world.biller, ["ap@globex.example", "clerk@globex.example"])
    outbox_deliver_due()
    [message] = [m for m in mailbox() if m["To"] == "ap@globex.example"]
    url = str(message["List-Unsubscribe"]).strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert Client().post(f"/{path}", {"List-Unsubscribe": "One-Click"}).status_code == 200

    assert [
        email.recipients for email in _send_reminder(world.biller, ["ap@globex.example", "clerk@globex.example"])
    ] == [["clerk@globex.example"]]


def test_opening_the_link_asks_and_changes_nothing(world):
    page = Client().get(_link(world.biller))
    html = page.content.decode()
    assert page.status_code == 200
    assert "You won't receive payment reminders from Acme Supply Co. at <strong>ap@globex.example</strong>" in html
    assert 'value="unsubscribe"' in html
    assert Client().head(_link(world.biller)).status_code == 200
    assert not EmailOptOut.objects.exists() and not EmailPreferenceChange.objects.exists()


def test_the_pages_button_unsubscribes_and_another_resubscribes(world):
    client = Client(enforce_csrf_checks=True)
    link = _link(world.biller, category="statements")
    html = client.post(link, {"action": "unsubscribe"}).content.decode()
    assert "You're unsubscribed" in html and "statements of account" in html and 'value="resubscribe"' in html
    assert _opt_outs() == [("ap@globex.example", "statements", OptOutHow.LINK_PAGE)]
    assert "You're unsubscribed" in client.get(link).content.decode()  # the page says where things stand

    html = client.post(link, {"action": "resubscribe"}).content.decode()
    assert "You're subscribed again" in html
    assert not EmailOptOut.objects.exists()
    assert list(EmailPreferenceChange.objects.order_by("pk").values_list("opted_out", flat=True)) == [True, False]


def test_the_link_works_on_the_billers_own_domain(world):
    biller_set_custom_domain(biller=world.biller, actor=world.owner, domain="pay.acme.example")
    link = _link(world.biller).removeprefix(f"/{world.biller.slug}")
    client = Client(enforce_csrf_checks=True, headers={"host": "pay.acme.example"})
    assert "Unsubscribe from payment reminders?" in client.get(link).content.decode()
    assert client.post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _opt_outs() == [("ap@globex.example", "reminders", OptOutHow.ONE_CLICK)]


def test_an_old_emails_link_works_at_the_portals_old_address_without_a_redirect(world):
    link = _link(world.biller)
    biller_change_slug(biller=world.biller, actor=world.owner, slug="acme-supply-co")
    assert "Unsubscribe from payment reminders?" in Client().get(link).content.decode()
    response = Client(enforce_csrf_checks=True).post(link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _opt_outs() == [("ap@globex.example", "reminders", OptOutHow.ONE_CLICK)]
    assert Client().get("/no-such-portal/unsubscribe/x/").status_code == 404


@pytest.mark.parametrize("method", ["get", "one_click", "page_button"])
def test_a_tampered_or_foreign_token_is_refused_and_changes_nothing(world, method):
    other, _ = make_biller("Bolt Hardware Inc.")
    good = _link(world.biller)
    tampered = good[:-3] + ("A" if good[-3] != "A" else "B") + "x/"
    foreign = _link(other).replace(f"/{other.slug}/", f"/{world.biller.slug}/")  # Bolt's token at Acme's portal
    for link in (tampered, foreign, f"/{world.biller.slug}/unsubscribe/nonsense/"):
        client = Client(enforce_csrf_checks=True)
        if method == "get":
            response = client.get(link)
            assert "This unsubscribe link is not valid" in response.content.decode()
        elif method == "one_click":
            response = client.post(link, {"List-Unsubscribe": "One-Click"})
        else:
            response = client.post(link, {"action": "unsubscribe"})
        assert response.status_code == 404, link
    assert not EmailOptOut.objects.exists() and not EmailPreferenceChange.objects.exists()


def test_a_portal_user_chooses_what_they_receive_and_the_change_is_recorded(world):
    client = Client()
    portal_login(client, world.admin)
    html = client.get("/acme-supply/email-preferences/").content.decode()
    assert "Email preferences" in html and "Payment confirmations and receipts" in html
    assert html.count("checked") == 3  # everything is sent until they say otherwise

    response = client.post("/acme-supply/email-preferences/", {"receive": ["statements"]})
    assert response.status_code == 302
    assert sorted(_opt_outs()) == [
        ("ap@globex.example", "autopay", OptOutHow.PREFERENCES),
        ("ap@globex.example", "reminders", OptOutHow.PREFERENCES),
    ]
    assert {(c.category, c.opted_out, c.actor_id) for c in EmailPreferenceChange.objects.all()} == {
        ("autopay", True, world.admin.pk),
        ("reminders", True, world.admin.pk),
    }
    html = client.get("/acme-supply/email-preferences/").content.decode()
    assert "Email preferences saved." in html and html.count("checked") == 1

    client.post("/acme-supply/email-preferences/", {"receive": ["statements", "reminders", "autopay"]})
    assert not EmailOptOut.objects.exists() and EmailPreferenceChange.objects.count() == 4


def test_the_preferences_page_shows_what_the_unsubscribe_link_did(world):
    email_opt_out(biller=world.biller, address="AP@globex.example", category="statements", how=OptOutHow.ONE_CLICK)
    client = Client()
    portal_login(client, world.admin)
    html = client.get("/acme-supply/email-preferences/").content.decode()
    assert html.count("checked") == 2
    assert re.search(r'<input type="checkbox" name="receive" value="statements" id="[^"]+">', html)  # unticked


def test_preferences_are_each_persons_own(world):
    email_opt_out(biller=world.biller, address="ap@globex.example", category="reminders", how=OptOutHow.PREFERENCES)
    member = Client()
    portal_login(member, world.member)
    html = member.get("/acme-supply/email-preferences/").content.decode()
    assert "clerk@globex.example" in html and html.count("checked") == 3
    member.post("/acme-supply/email-preferences/", {"receive": ["reminders", "autopay"]})
    assert sorted(_opt_outs()) == [
        ("ap@globex.example", "reminders", OptOutHow.PREFERENCES),
        ("clerk@globex.example", "statements", OptOutHow.PREFERENCES),
    ]


def test_the_preferences_page_needs_a_person_of_this_portal(world):
    assert Client().get("/acme-supply/email-preferences/").status_code == 302  # to sign-in
    other, _ = make_biller("Bolt Hardware Inc.")
    stranger = make_portal_user(make_customer(other, "Umbrella", email="ap@umbrella.example"))
    client = Client()
    portal_login(client, stranger)
    response = client.post("/acme-supply/email-preferences/", {"receive": []})
    assert response.status_code == 302 and "/acme-supply/signin/" in response["Location"]
    assert not EmailOptOut.objects.exists()
    assert client.get("/no-such-biller/email-preferences/").status_code == 404


def test_an_unknown_category_is_refused_at_the_field(world):
    client = Client()
    portal_login(client, world.admin)
    response = client.post("/acme-supply/email-preferences/", {"receive": ["newsletters"]})
    assert (
        response.status_code == 200 and "newsletters is not one of the available choices" in response.content.decode()
    )
    assert not EmailOptOut.objects.exists()


def test_the_gear_menu_links_to_email_preferences(world):
    client = Client()
    portal_login(client, world.admin)
    html = client.get("/acme-supply/").content.decode()
    assert 'href="/acme-supply/email-preferences/">Email preferences</a>' in html
    assert "Two-factor sign-in" in html and "People with access" in html  # the labels the help uses stay
