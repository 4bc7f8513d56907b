"""Settings → Webhooks in the console: owners add (the secret shown once), change, disable, delete,
rotate and resend; staff see; another biller's endpoint is a 404 whoever asks."""

from __future__ import annotations

import pytest

from remit.lib import crypto
from remit.test import make_biller, make_customer, make_invoice, make_staff
from remit.webhooks.delivery import webhook_deliver
from remit.webhooks.endpoints import webhook_endpoint_create
from remit.webhooks.models import DeliveryStatus, EventType, WebhookChange, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ALL = EventType.values


@pytest.fixture
def acme(client):
    biller, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    return biller, owner


def page(biller, rest: str = "") -> str:
    return f"/console/{biller.slug}/settings/webhooks/{rest}"


def add(biller, owner, url: str = "https://hooks.example.com/remit", events=ALL):
    return webhook_endpoint_create(biller=biller, actor=owner, url=url, events=events)


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(client, acme):
    biller, owner = acme
    assert 'href="/console/acme-supply/settings/webhooks/"' in client.get(page(biller)).content.decode()
    response = client.post(
        page(biller), {"url": "https://hooks.example.com/remit", "events": ["invoice.paid", "payment.settled"]}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get(biller=biller)
    secret = crypto.decrypt(endpoint.secret_encrypted)
    html = response.content.decode()
    assert secret.startswith("whsec_") and secret in html and "Copy this signing secret now" in html
    assert secret not in endpoint.secret_encrypted
    assert (endpoint.url, endpoint.events, endpoint.created_by) == (
        "https://hooks.example.com/remit",
        ["invoice.paid", "payment.settled"],
        owner,
    )
    assert secret not in client.get(page(biller)).content.decode()
    assert secret not in client.get(page(biller, f"{endpoint.pk}/")).content.decode()
    assert WebhookChange.objects.get().kind == WebhookChange.Kind.CREATED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "http://hooks.example.com/remit", "events": ALL}, "Use https://"),
        ({"url": "https://me:pw@hooks.example.com/", "events": ALL}, "Remove the user name and password"),
        ({"url": "ftp://hooks.example.com/", "events": ALL}, "starts with https://"),
        ({"url": "https://hooks.example.com/remit"}, "Choose at least one event"),
    ],
)
def test_a_bad_address_or_no_events_is_refused_at_its_field(client, acme, data, message):
    biller, _ = acme
    response = client.post(page(biller), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_owner_edits_the_events_and_the_url(client, acme):
    biller, owner = acme
    endpoint = add(biller, owner).endpoint
    response = client.post(
        page(biller, f"{endpoint.pk}/"), {"url": "https://other.example.com/x", "events": ["payment.returned"]}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == ("https://other.example.com/x", ["payment.returned"])
    assert "Endpoint saved" in client.get(response["Location"]).content.decode()


def test_the_owner_disables_enables_and_deletes(client, acme):
    biller, owner = acme
    endpoint = add(biller, owner).endpoint
    make_invoice(make_customer(biller))
    assert client.post(page(biller, f"{endpoint.pk}/active"), {"active": "0"}).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED  # what was waiting
    assert "Disabled" in client.get(page(biller)).content.decode()
    client.post(page(biller, f"{endpoint.pk}/active"), {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active
    response = client.post(page(biller, f"{endpoint.pk}/delete"))
    assert response.status_code == 302 and response["Location"] == page(biller)
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    kinds = list(WebhookChange.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["created", "disabled", "enabled", "deleted"]
    assert WebhookChange.objects.filter(url="https://hooks.example.com/remit").count() == 4  # kept


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_one_for_a_day(client, acme):
    biller, owner = acme
    issued = add(biller, owner)
    response = client.post(page(biller, f"{issued.endpoint.pk}/rotate"))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    new = crypto.decrypt(endpoint.secret_encrypted)
    html = response.content.decode()
    assert new != issued.secret and new in html and issued.secret not in html
    assert crypto.decrypt(endpoint.previous_secret_encrypted) == issued.secret
    assert "the previous one signs deliveries too until" in client.get(page(biller, f"{endpoint.pk}/")).content.decode()


def test_the_deliveries_log_shows_each_attempt_and_resends(client, acme, receiver, run_on_commit):
    biller, owner = acme
    endpoint = add(biller, owner, url=receiver.url).endpoint
    receiver.answers = [500]
    make_invoice(make_customer(biller))
    delivery = WebhookDelivery.objects.get()
    webhook_deliver(delivery_id=delivery.pk)
    html = client.get(page(biller, f"{endpoint.pk}/")).content.decode()
    assert "invoice.created" in html and "HTTP 500: receiver says no" in html and ">500<" in html
    assert "Waiting" in html and "next try" in html and "Resend" in html
    with run_on_commit(execute=True):
        response = client.post(page(biller, f"{endpoint.pk}/deliveries/{delivery.pk}/resend"))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 2, 200)
    html = client.get(response["Location"]).content.decode()
    assert "will be sent again now" in html and "Delivered" in html


def test_staff_see_endpoints_and_deliveries_but_change_nothing(client, acme):
    biller, owner = acme
    issued = add(biller, owner)
    endpoint = issued.endpoint
    make_invoice(make_customer(biller))
    delivery = WebhookDelivery.objects.get()
    client.force_login(make_staff(biller))
    listing = client.get(page(biller)).content.decode()
    assert endpoint.url in listing and "Add endpoint" not in listing and "Only an owner" in listing
    detail = client.get(page(biller, f"{endpoint.pk}/")).content.decode()
    assert "invoice.created" in detail and "Rotate" not in detail and "Resend<span" not in detail
    assert issued.secret not in listing + detail
    for url, data in [
        (page(biller), {"url": "https://evil.example.com/", "events": ALL}),
        (page(biller, f"{endpoint.pk}/"), {"url": "https://evil.example.com/", "events": ALL}),
        (page(biller, f"{endpoint.pk}/rotate"), {}),
        (page(biller, f"{endpoint.pk}/active"), {"active": "0"}),
        (page(biller, f"{endpoint.pk}/delete"), {}),
        (page(biller, f"{endpoint.pk}/deliveries/{delivery.pk}/resend"), {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/remit" and endpoint.is_active
    assert crypto.decrypt(endpoint.secret_encrypted) == issued.secret
    assert WebhookEndpoint.objects.count() == 1


def test_another_billers_endpoint_is_404(client, acme):
    biller, owner = acme
    other, other_owner = make_biller("Other Co")
    theirs = add(other, other_owner).endpoint
    make_invoice(make_customer(other))
    their_delivery = WebhookDelivery.objects.get()
    mine = add(biller, owner).endpoint
    for url in [
        page(biller, f"{theirs.pk}/"),
        page(biller, f"{theirs.pk}/rotate"),
        page(biller, f"{theirs.pk}/active"),
        page(biller, f"{theirs.pk}/delete"),
        page(biller, f"{theirs.pk}/deliveries/{their_delivery.pk}/resend"),
        page(biller, f"{mine.pk}/deliveries/{their_delivery.pk}/resend"),  # their delivery under my endpoint
    ]:
        assert client.post(url, {"url": "https://x.example.com/", "events": ALL}).status_code == 404, url
    assert client.get(page(biller, f"{theirs.pk}/")).status_code == 404
    assert client.get(page(other)).status_code == 404  # not on their team at all
    theirs.refresh_from_db()
    assert theirs.url == "https://hooks.example.com/remit" and theirs.is_active
    assert WebhookEndpoint.objects.filter(biller=other).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    biller, _ = make_biller("Acme Supply Co.")
    response = client.get(page(biller))
    assert response.status_code == 302 and "/console/signin/" in response["Location"]


def test_a_business_has_at_most_20_endpoints(client, acme):
    biller, owner = acme
    for n in range(20):
        add(biller, owner, url=f"https://hooks.example.com/{n}")
    response = client.post(page(biller), {"url": "https://hooks.example.com/21", "events": ALL})
    assert "at most 20 endpoints" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 20
