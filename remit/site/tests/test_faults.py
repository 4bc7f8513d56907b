"""Faults survived: real `remit web`, `remit worker` and `remit beat` processes on PostgreSQL + Redis
+ SMTP on loopback (remit/site/tests/faults.py), one server taken away at a time for as long as the
operators' trial did. Afterwards nothing is lost, nothing doubled — every email arrives at the SMTP
server once, by Message-ID — and nothing was restarted to get there. docs/architecture.md, "Faults we
test", lists what each test proves.

One installation serves the whole module (its processes start once): each test leaves every server
up again, whatever happened, and finds a mail server that has received nothing yet."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from conftest import RedisServer, free_port
from remit.notifications.models import OutboundEmail
from remit.site.tests.faults import (
    MailServer,
    Remit,
    TcpProxy,
    Visitor,
    browse,
    database_url_through,
    forgot_password,
    need_postgresql_and_redis,
    portal_with_people,
    remit,
    sign_in,
)
from remit.site.tests.test_worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@dataclass
class Installation:
    """Remit as an operator runs it — a web, a worker and a beat — on servers the tests take away."""

    stack: Remit
    redis: RedisServer
    mail: MailServer
    proxy: TcpProxy  # the processes reach PostgreSQL only through it; the test itself goes direct

    def restore(self) -> None:
        if self.redis.process is None:
            self.redis.start()
        if self.mail.controller is None:
            self.mail.start()
        self.mail.release()
        if self.proxy.cut_off:
            self.proxy.restore()


@pytest.fixture(scope="module")
def installation(django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    need_postgresql_and_redis()
    directory = tmp_path_factory.mktemp("faults")
    db = connection.settings_dict
    redis, mail = RedisServer(port=free_port(), directory=directory), MailServer()
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    redis.start()
    mail.start()
    proxy.start()
    env = {"DATABASE_URL": database_url_through(proxy), "REDIS_URL": redis.url, "EMAIL_URL": mail.url}
    try:
        with remit(directory, REMIT_OUTBOX_SWEEP_SECONDS="1", **env) as stack:
            stack.web()
            stack.worker(concurrency=1)  # one delivery at a time: a held one is the one in flight
            stack.beat()
            stack.wait_ready()
            yield Installation(stack, redis, mail, proxy)
    finally:
        proxy.cut()
        mail.stop()
        redis.stop()


@pytest.fixture
def servers(installation: Installation) -> Iterator[Installation]:
    installation.mail.messages.clear()
    try:
        yield installation
    finally:
        installation.restore()


def each_once(mail: MailServer, emails: list[OutboundEmail]) -> None:
    """Every email arrived once, none twice, no other."""
    received = mail.message_ids()
    assert received == Counter({email.message_id: 1 for email in emails}), received
    assert {email.status for email in emails} == {OutboundEmail.Status.SENT}


def test_redis_gone_for_a_minute_the_portal_works_and_its_emails_are_delivered_once_afterwards(servers):
    stack, redis, mail = servers.stack, servers.redis, servers.mail
    portal = portal_with_people(10)
    visitor = Visitor(stack.url())
    forgot_password(visitor, portal, portal.people[0])  # through the queue, as usual
    wait_for(lambda: len(mail.messages) == 1, timeout=30, what="the first email")

    redis.kill()
    started, waiting = time.monotonic(), list(portal.people[1:])
    while (elapsed := time.monotonic() - started) < 60:
        browser = Visitor(stack.url())  # a fresh browser each round: every round signs in
        sign_in(browser, portal, portal.people[int(elapsed) % len(portal.people)])
        browse(browser, portal)
        visitor.absorb(browser)
        if waiting and elapsed >= 5 * (len(portal.people) - 1 - len(waiting)):
            forgot_password(visitor, portal, waiting.pop(0))
        time.sleep(0.1)
    redis.start()  # the same port, empty: whatever the queue held is gone
    back_at = time.monotonic()
    assert visitor.failures == [], visitor.failures
    wait_for(
        lambda: not OutboundEmail.objects.filter(pk__gt=portal.before, status="pending").exists(),
        timeout=90,
        what="every email queued while Redis was away to be delivered",
    )
    print(
        f"{visitor.requests} requests while Redis was away, 0 failures; its emails delivered "
        f"{time.monotonic() - back_at:.0f}s after it was back"
    )
    assert stack.all_alive()  # nothing was restarted
    each_once(mail, portal.new_emails())


def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(servers):
    stack, mail = servers.stack, servers.mail
    portal = portal_with_people(6)
    worker = stack.live_worker()
    visitor = Visitor(stack.url())
    mail.hold()  # the first message is on the wire, not yet accepted, when the worker dies
    for person in portal.people:
        forgot_password(visitor, portal, person)
    wait_for(mail.held.is_set, timeout=30, what="a delivery to be under way")
    worker.kill()  # SIGKILL, pool and all
    mail.release()
    [held] = OutboundEmail.objects.filter(pk__gt=portal.before, status="pending", locked_until__gt=timezone.now())

    stack.worker(f"{worker.name}-restarted", concurrency=1)  # the restart an operator (or systemd) does
    stack.wait_ready()
    wait_for(
        lambda: OutboundEmail.objects.filter(pk__gt=portal.before, status="sent").count() == len(portal.people) - 1,
        timeout=60,
        what="the other emails to be delivered by the new worker",
    )
    assert held.message_id not in mail.message_ids()  # the killed delivery delivered nothing
    assert OutboundEmail.objects.get(pk=held.pk).status == "pending"  # nor was it lost: it waits
    # Its lease (notifications.actions.LEASE, five minutes) keeps every other worker off it; the test
    # ends it now instead of waiting for it.
    OutboundEmail.objects.filter(pk=held.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    wait_for(lambda: len(mail.messages) == len(portal.people), timeout=30, what="the killed delivery, once")
    assert visitor.failures == []
    each_once(mail, portal.new_emails())


def test_postgresql_unreachable_for_30_seconds_healthz_says_503_pages_fail_cleanly_and_all_recovers(servers):
    stack, mail, proxy = servers.stack, servers.mail, servers.proxy
    portal = portal_with_people(6)
    signed_in = Visitor(stack.url())
    sign_in(signed_in, portal, portal.people[0])
    # An email is on the wire when the database goes: the mail server accepts it only once the
    # worker can no longer record that it was sent.
    mail.hold()
    forgot_password(signed_in, portal, portal.people[1])
    wait_for(mail.held.is_set, timeout=30, what="a delivery to be under way")
    proxy.cut()
    mail.release()

    outage = Visitor(stack.url())
    slowest, started = 0.0, time.monotonic()
    while time.monotonic() - started < 30:
        asked = time.monotonic()
        health = outage.get("/healthz", expect=503)
        slowest = max(slowest, time.monotonic() - asked)
        assert health.json()["database"]["status"] == "unavailable"
        for page in (f"/{portal.slug}/", f"/{portal.slug}/signin/"):
            answer = (signed_in if page.endswith(f"{portal.slug}/") else outage).get(page, expect=500)
            assert "Something went wrong" in answer.text and "Traceback" not in answer.text, answer.text
        time.sleep(1)
    assert outage.failures == [] and signed_in.failures == [], outage.failures + signed_in.failures
    assert slowest < 2, f"/healthz took {slowest:.1f}s while the database was unreachable"
    print(f"{outage.requests + signed_in.requests} requests while the database was away; /healthz ≤ {slowest:.2f}s")

    proxy.restore()
    back_at = time.monotonic()
    wait_for(lambda: outage.session.get(stack.url() + "/healthz").status_code == 200, timeout=30, what="200")
    browse(signed_in, portal)  # the same session, still signed in
    for person in portal.people[2:]:
        forgot_password(signed_in, portal, person)
    wait_for(
        lambda: OutboundEmail.objects.filter(pk__gt=portal.before, status="sent").count() == len(portal.people) - 1,
        timeout=60,
        what="every email to be delivered",
    )
    assert signed_in.failures == [], signed_in.failures
    print(f"recovered and every email delivered {time.monotonic() - back_at:.0f}s after the database was back")
    assert stack.all_alive()  # nothing was restarted
    each_once(mail, portal.new_emails())


def test_smtp_down_for_two_minutes_delays_the_emails_queued_meanwhile_and_loses_none(servers):
    """The outbox's backoff (1, 2, 4… minutes; no setting shortens it) is the real one: an email queued
    as the server went down fails at once and a minute later, and goes out at its third attempt, three
    minutes after the first — a minute after the server is back. Those queued in the outage's second
    minute go out at their second attempt."""
    stack, mail = servers.stack, servers.mail
    portal = portal_with_people(10)
    visitor = Visitor(stack.url())
    mail.stop()
    down_at = time.monotonic()
    early, late = portal.people[:4], portal.people[4:]
    for person in early:
        forgot_password(visitor, portal, person)
    for index, person in enumerate(late):
        time.sleep(max(0.0, down_at + 62 + 7 * index - time.monotonic()))  # 62 s … 97 s into the outage
        forgot_password(visitor, portal, person)
    time.sleep(max(0.0, down_at + 120 - time.monotonic()))
    waiting = portal.new_emails()
    assert len(waiting) == len(portal.people) and mail.messages == []
    assert {email.status for email in waiting} == {"pending"}  # kept, to be tried again
    assert all(email.attempts >= 1 and "Connection refused" in email.last_error for email in waiting)
    mail.start()  # the same port
    back_at = time.monotonic()
    wait_for(
        lambda: not OutboundEmail.objects.filter(pk__gt=portal.before, status="pending").exists(),
        timeout=100,
        what="every email queued while the mail server was down to be delivered",
    )
    print(f"all {len(waiting)} delivered {time.monotonic() - back_at:.0f}s after the mail server was back")
    assert visitor.failures == [] and stack.all_alive()
    each_once(mail, portal.new_emails())
