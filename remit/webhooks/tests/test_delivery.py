"""Deliveries to a real HTTP server: signed as docs/webhooks.md says, retried with back-off until 24
hours after the event, resent on request, signed twice during a secret rotation, and never sent by
two workers at once."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from remit.lib.allowlist import parse_allowlist
from remit.lib.errors import NotPermitted
from remit.test import make_customer, make_invoice, make_staff
from remit.webhooks import addresses, emit, transport
from remit.webhooks.delivery import (
    LEASE,
    _claim,
    retry_delay,
    webhook_deliver,
    webhook_deliver_due,
    webhook_deliver_many,
    webhook_resend,
)
from remit.webhooks.endpoints import (
    WebhookError,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
    webhook_endpoint_update,
    webhook_secret_rotate,
)
from remit.webhooks.models import DeliveryStatus, EventType, WebhookChange, WebhookDelivery
from remit.webhooks.tests.world import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(receiver):
    return make_world(receiver.url)


def a_delivery(world, **invoice) -> WebhookDelivery:
    """An invoice created, its delivery recorded but not yet attempted (its task "lost")."""
    make_invoice(world.customer, **invoice)
    return WebhookDelivery.objects.select_related("event").latest("pk")


def signatures(header: str) -> list[str]:
    return [part.split("=", 1)[1] for part in header.split(",") if part.startswith("v1=")]


def test_a_delivery_is_posted_signed_and_recorded(world, receiver, verify, run_on_commit):
    with run_on_commit(execute=True):
        invoice = make_invoice(world.customer, amount_cents=12345)
    [got] = receiver.received
    delivery = WebhookDelivery.objects.get()
    assert got.path == "/remit/webhooks"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Remit-Event"] == "invoice.created"
    assert got.headers["Remit-Delivery"] == str(delivery.pk)
    body = got.json
    assert (body["id"], body["type"], body["biller_id"]) == (delivery.event_id, "invoice.created", world.acme.pk)
    assert (body["data"]["id"], body["data"]["total_cents"]) == (invoice.pk, 12345)
    header = got.headers["Remit-Signature"]
    assert verify(world.secret, header, got.body)
    assert len(signatures(header)) == 1
    assert not verify("whsec_someone-else", header, got.body)
    assert not verify(world.secret, header, got.body.replace(b"12345", b"12346"))
    assert not verify(world.secret, header, got.body, now=time.time() + 301)  # a replay, 5 minutes later
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None and delivery.last_error == "" and delivery.lease_until is None


def test_a_500_is_retried_with_back_off_and_every_attempt_is_recorded(world, receiver):
    receiver.answers = [500, 503]
    delivery = a_delivery(world)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        result = webhook_deliver(delivery_id=delivery.pk)
    assert result.claimed and not result.delivered and result.status_code == 500
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert delivery.last_error == "HTTP 500: receiver says no"
    assert delivery.next_attempt_at == start + timedelta(minutes=1)
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert not webhook_deliver(delivery_id=delivery.pk).claimed  # not due yet
        assert webhook_deliver_due() == []
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        [swept] = webhook_deliver_due()
    delivery.refresh_from_db()
    assert swept.claimed and (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert delivery.next_attempt_at == start + timedelta(minutes=1 + 5)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert webhook_deliver(delivery_id=delivery.pk).delivered
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.SUCCEEDED,
        3,
        200,
        "",
    )
    assert len(receiver.received) == 3
    assert len({r.body for r in receiver.received}) == 1  # the same bytes every time


def test_it_gives_up_24_hours_after_the_event_about_ten_attempts_later(world, receiver):
    receiver.answers = [500] * 20
    delivery = a_delivery(world)
    created = delivery.event.created_at
    tried_at = []
    while delivery.status == DeliveryStatus.PENDING:
        with time_machine.travel(delivery.next_attempt_at, tick=False):
            tried_at.append(timezone.now() - created)
            assert webhook_deliver(delivery_id=delivery.pk).claimed
        delivery.refresh_from_db()
    minutes = [round(offset.total_seconds() / 60) for offset in tried_at]
    assert minutes == [0, 1, 6, 21, 51, 111, 231, 471, 951, 1431]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 10, 500)
    assert len(receiver.received) == 10
    with time_machine.travel(created + timedelta(days=2), tick=False):
        assert webhook_deliver_due() == []  # failed is final until someone resends it


def test_the_back_off(world):
    assert [retry_delay(n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 30)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
        timedelta(hours=8),
        timedelta(hours=8),
    ]


def test_a_refused_connection_a_timeout_and_a_redirect_are_failures(world, receiver, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    webhook_endpoint_update(
        endpoint=world.endpoint, actor=world.owner, url=f"http://127.0.0.1:{closed}/", events=EventType.values
    )
    delivery = a_delivery(world)
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and delivery.last_error.startswith("Could not connect")
    assert delivery.status == DeliveryStatus.PENDING

    webhook_endpoint_update(endpoint=world.endpoint, actor=world.owner, url=receiver.url, events=EventType.values)
    receiver.answers = [(302, {"Location": f"http://127.0.0.1:{closed}/elsewhere"})]
    redirected = a_delivery(world)
    assert not webhook_deliver(delivery_id=redirected.pk).delivered
    redirected.refresh_from_db()
    assert redirected.last_status_code == 302 and redirected.last_error.startswith("HTTP 302")
    assert len(receiver.received) == 1  # not followed

    monkeypatch.setattr(transport, "TIMEOUT_SECONDS", 0.3)
    receiver.hold = threading.Event()
    slow = a_delivery(world)
    try:
        assert not webhook_deliver(delivery_id=slow.pk).delivered
    finally:
        receiver.hold.set()
    slow.refresh_from_db()
    assert slow.last_status_code is None and "timed out" in slow.last_error


def test_in_production_a_delivery_never_connects_to_a_private_address(world, receiver, settings):
    delivery = a_delivery(world)  # an endpoint saved in development, now on 127.0.0.1 in production
    settings.PRODUCTION = True
    assert not webhook_deliver(delivery_id=delivery.pk).delivered
    delivery.refresh_from_db()
    assert "private, loopback or reserved" in delivery.last_error
    assert receiver.received == []


class Dns:
    """What each name resolves to, changed by the test as an attacker would change real DNS."""

    def __init__(self, monkeypatch, **names: str) -> None:
        self.names = {name.replace("_", "."): address for name, address in names.items()}
        monkeypatch.setattr(addresses, "resolve", self)

    def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.names:
            raise socket.gaierror("Name or service not known")
        return [self.names[host]]


def operator_allows(settings, raw: str) -> None:
    settings.PRODUCTION = True
    settings.REMIT_WEBHOOK_ALLOW = parse_allowlist(raw, name="REMIT_WEBHOOK_ALLOW")


def test_in_production_an_allowlisted_address_is_saved_and_delivered_over_verified_tls(
    tls_receiver, settings, verify, run_on_commit
):
    operator_allows(settings, "10.0.5.0/24, 127.0.0.1")
    world = make_world(tls_receiver.url)  # https://127.0.0.1:<port>/…, saved in production
    with run_on_commit(execute=True):
        make_invoice(world.customer, amount_cents=4200)
    [got] = tls_receiver.received
    assert verify(world.secret, got.headers["Remit-Signature"], got.body)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 200)
    # Every other private or loopback address is still refused when saved.
    for other in ["https://[::1]:8443/hooks", "https://127.0.0.2/hooks", "https://10.0.6.1/hooks"]:
        with pytest.raises(WebhookError, match="private, loopback or reserved"):
            webhook_endpoint_create(biller=world.acme, actor=world.owner, url=other, events=EventType.values)


def test_in_production_an_allowlisted_host_name_is_delivered_to_the_private_address_it_resolves_to(
    tls_receiver, settings, monkeypatch, run_on_commit
):
    operator_allows(settings, "accounting.internal")
    Dns(monkeypatch, accounting_internal="127.0.0.1", hooks_biller_example="127.0.0.1")
    world = make_world(tls_receiver.url_at("ACCOUNTING.internal"))
    with run_on_commit(execute=True):
        make_invoice(world.customer)
    assert len(tls_receiver.received) == 1  # to 127.0.0.1, the certificate verified for accounting.internal
    # A name not listed that resolves to the same address is refused.
    with pytest.raises(WebhookError, match="private, loopback or reserved"):
        url = tls_receiver.url_at("hooks.biller.example")
        webhook_endpoint_create(biller=world.acme, actor=world.owner, url=url, events=["invoice.paid"])


def test_a_name_rebound_to_a_private_address_after_saving_is_not_delivered_unless_its_network_is_listed(
    tls_receiver, settings, monkeypatch
):
    operator_allows(settings, "accounting.internal, 10.0.5.0/24")
    dns = Dns(monkeypatch, hooks_biller_example="93.184.215.14")
    world = make_world(tls_receiver.url_at("hooks.biller.example"))  # public when saved
    dns.names["hooks.biller.example"] = "127.0.0.1"  # then pointed at this machine
    delivery = a_delivery(world)
    assert not webhook_deliver(delivery_id=delivery.pk).delivered
    delivery.refresh_from_db()
    assert "resolves to a private, loopback or reserved address" in delivery.last_error
    assert tls_receiver.received == []
    # The operator opens that network: the rule is on the address, whatever name leads there.
    operator_allows(settings, "accounting.internal, 127.0.0.0/8")
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        assert webhook_deliver(delivery_id=delivery.pk).delivered
    assert len(tls_receiver.received) == 1


def test_a_failing_endpoint_does_not_hold_up_the_others(world, receiver):
    second = webhook_endpoint_create(
        biller=world.acme, actor=world.owner, url=receiver.url.replace("webhooks", "second"), events=EventType.values
    )
    receiver.answers = [500]  # the first request, to the first endpoint
    for _ in range(3):
        make_invoice(world.customer)
    ids = list(WebhookDelivery.objects.order_by("endpoint_id", "pk").values_list("pk", flat=True))
    results = webhook_deliver_many(ids)
    assert len(results) == 4  # one attempt to the failing endpoint, then the other's three
    first = WebhookDelivery.objects.filter(endpoint=world.endpoint)
    assert sorted(first.values_list("attempts", flat=True)) == [0, 0, 1]
    assert set(first.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    other = WebhookDelivery.objects.filter(endpoint=second.endpoint)
    assert set(other.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    swept = webhook_deliver_due()  # the two it skipped are due: the next sweep sends them
    assert len(swept) == 2 and all(result.delivered for result in swept)
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 5


def test_resend_tries_a_failed_delivery_again_now(world, receiver, verify, run_on_commit):
    receiver.answers = [500]
    delivery = a_delivery(world)
    with time_machine.travel(delivery.event.created_at + timedelta(hours=23, minutes=59, seconds=30), tick=False):
        webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    with run_on_commit(execute=True):
        webhook_resend(delivery=delivery, actor=world.owner)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 2, 200)
    first, second = receiver.received
    assert first.body == second.body and second.headers["Remit-Delivery"] == str(delivery.pk)
    assert verify(world.secret, second.headers["Remit-Signature"], second.body)
    assert WebhookChange.objects.filter(kind=WebhookChange.Kind.RESENT, actor=world.owner).exists()
    with run_on_commit(execute=True):  # a delivered one can be sent again too
        webhook_resend(delivery=delivery, actor=world.owner)
    assert len(receiver.received) == 3


def test_a_failed_resend_after_the_24_hours_is_failed_again_at_once(world, receiver, run_on_commit):
    receiver.answers = [500, 500]
    delivery = a_delivery(world)
    with time_machine.travel(delivery.event.created_at + timedelta(days=3), tick=False):
        webhook_deliver(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED
        with run_on_commit(execute=True):
            webhook_resend(delivery=delivery, actor=world.owner)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)


def test_only_an_owner_resends_and_only_to_an_active_endpoint(world):
    delivery = a_delivery(world)
    with pytest.raises(NotPermitted, match="Only an owner can manage webhooks"):
        webhook_resend(delivery=delivery, actor=make_staff(world.acme))
    webhook_endpoint_set_active(endpoint=world.endpoint, actor=world.owner, active=False)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and "disabled" in delivery.last_error
    with pytest.raises(WebhookError, match="disabled"):
        webhook_resend(delivery=delivery, actor=world.owner)


def test_after_a_rotation_both_secrets_sign_for_24_hours(world, receiver, verify, run_on_commit):
    old = world.secret
    rotated = webhook_secret_rotate(endpoint=world.endpoint, actor=world.owner)
    assert rotated.secret != old and rotated.secret.startswith("whsec_")
    with run_on_commit(execute=True):
        make_invoice(world.customer)
    got = receiver.received[-1]
    header = got.headers["Remit-Signature"]
    assert len(signatures(header)) == 2
    assert verify(old, header, got.body) and verify(rotated.secret, header, got.body)
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        with run_on_commit(execute=True):
            make_invoice(world.customer)
        got = receiver.received[-1]
        header = got.headers["Remit-Signature"]
        assert len(signatures(header)) == 1
        assert verify(rotated.secret, header, got.body) and not verify(old, header, got.body)
    assert WebhookChange.objects.filter(kind=WebhookChange.Kind.SECRET_ROTATED).count() == 1


def test_a_second_rotation_drops_the_oldest_secret(world, receiver, verify, run_on_commit):
    first = world.secret
    second = webhook_secret_rotate(endpoint=world.endpoint, actor=world.owner).secret
    third = webhook_secret_rotate(endpoint=world.endpoint, actor=world.owner).secret
    with run_on_commit(execute=True):
        make_invoice(world.customer)
    got = receiver.received[-1]
    header = got.headers["Remit-Signature"]
    assert verify(third, header, got.body) and verify(second, header, got.body)
    assert not verify(first, header, got.body)


def test_a_worker_that_died_holding_the_lease_is_taken_over_when_it_runs_out(world, receiver):
    delivery = a_delivery(world)
    now = timezone.now()
    assert _claim(delivery.pk, now) is not None  # a worker claimed it, then died
    assert webhook_deliver_due() == []  # the lease still holds
    with time_machine.travel(now + LEASE + timedelta(seconds=1), tick=False):
        [result] = webhook_deliver_due()
    assert result.delivered and len(receiver.received) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_delivery_at_once(receiver, monkeypatch):
    monkeypatch.setattr(emit, "_request_delivery", lambda ids: None)  # the workers below deliver
    world = make_world(receiver.url)
    delivery = a_delivery(world)
    receiver.hold = threading.Event()
    results = []

    def first_worker() -> None:
        from django.db import connection

        try:
            results.append(webhook_deliver(delivery_id=delivery.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert receiver.entered.wait(10), "the first worker's POST never arrived"
        second = webhook_deliver(delivery_id=delivery.pk)  # while the first one's POST is in flight
        assert not second.claimed
        assert webhook_deliver_due() == []
    finally:
        receiver.hold.set()
        thread.join(15)
    assert results[0].delivered
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert webhook_deliver(delivery_id=delivery.pk).claimed is False  # done: a late task does nothing


def test_the_body_is_utf_8_json(world, receiver, run_on_commit):
    with run_on_commit(execute=True):
        make_invoice(make_customer(world.acme, "Müller GmbH"))
    body = receiver.received[0].body
    assert "Müller".encode() in body  # UTF-8, not escaped
    assert json.loads(body)["data"]["customer_name"] == "Müller GmbH"


def test_rotate_keys_re_encrypts_the_signing_secrets(world, receiver, verify, settings, run_on_commit):
    import io

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from remit.lib import crypto

    old_key, new_key = settings.REMIT_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    previous = world.secret
    current = webhook_secret_rotate(endpoint=world.endpoint, actor=world.owner).secret
    settings.REMIT_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    assert "signing secrets of 1 webhook endpoint(s)" in out.getvalue()
    call_command("rotate_keys", stdout=(again := io.StringIO()))
    assert "signing secrets of 0 webhook endpoint(s)" in again.getvalue()
    settings.REMIT_ENCRYPTION_KEYS = [new_key]  # the old key dropped
    world.endpoint.refresh_from_db()
    assert crypto.decrypt(world.endpoint.secret_encrypted) == current
    assert crypto.decrypt(world.endpoint.previous_secret_encrypted) == previous
    with run_on_commit(execute=True):
        make_invoice(world.customer)
    got = receiver.received[-1]
    assert verify(current, got.headers["Remit-Signature"], got.body)


def test_a_bulk_change_is_delivered_by_batch_tasks(world, receiver, run_on_commit, monkeypatch):
    from remit.invoices.importer import import_invoices

    monkeypatch.setattr(emit, "TASK_BATCH", 2)
    data = b"Invoice number,Customer,Issue date,Description,Unit price\n" + b"".join(
        f"B-{n},Globex Corporation,2026-01-15,Widgets,{n}\n".encode() for n in range(1, 6)
    )
    with run_on_commit(execute=True):
        assert import_invoices(biller=world.acme, actor=world.owner, file=data).ok
    assert sorted(r.json["data"]["number"] for r in receiver.received) == [f"B-{n}" for n in range(1, 6)]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
