"""GET /metrics: Prometheus's text format behind a bearer token, read back as a scraper would."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from remit.ach.models import AchEntry, AchFile, AchReturn, AchSettings, InboundFile
from remit.bank.models import FileDelivery
from remit.lib.metrics import REQUEST_SECONDS, RESPONSES
from remit.notifications.models import OutboundEmail
from remit.payments.models import BankAccount
from remit.site.heartbeat import heartbeat_beat
from remit.site.metrics import exports_late
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice, make_portal_user
from remit.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db

TOKEN = "metrics-s3cret"
NEW_YORK = ZoneInfo("America/New_York")
SAMPLE = re.compile(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$")


@pytest.fixture(autouse=True)
def _token(settings):
    settings.REMIT_METRICS_TOKEN = TOKEN
    REQUEST_SECONDS.clear()
    RESPONSES.clear()


def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {}
    types = {}
    for line in response.content.decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, line
        name, labels, value = match.groups()
        pairs = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    assert types["remit_http_request_duration_seconds"] == "histogram"
    assert types["remit_email_backlog"] == "gauge"
    return samples


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


def test_it_does_not_exist_without_a_token(client, settings):
    settings.REMIT_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_it_refuses_a_missing_or_wrong_token(client):
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 401
    assert b"remit_" not in missing.content


def test_request_latency_is_counted_by_route_not_by_path(client):
    biller, _ = make_biller("Acme Supply Co.")
    client.get("/healthz")
    client.get("/healthz")
    client.get(f"/{biller.slug}/payments/")  # → sign-in
    client.get("/no-such-portal-at-all/x/y")
    samples = scrape(client)
    assert value(samples, "remit_http_request_duration_seconds_count", route="healthz", method="GET") == 2
    assert value(samples, "remit_http_request_duration_seconds_bucket", route="healthz", method="GET", le="+Inf") == 2
    assert value(samples, "remit_http_request_duration_seconds_sum", route="healthz", method="GET") > 0
    assert value(samples, "remit_http_responses_total", route="healthz", method="GET", status="2xx") == 2
    routes = {dict(labels).get("route") for name, labels in samples if name.startswith("remit_http_")}
    assert "portal:payments" in routes
    assert not any("acme" in (route or "") or "/" in (route or "") for route in routes)  # never a raw path
    buckets = sorted(
        (float(dict(labels)["le"]), count)
        for (name, labels), count in samples.items()
        if name == "remit_http_request_duration_seconds_bucket" and dict(labels)["route"] == "healthz"
    )
    assert [count for _, count in buckets] == sorted(count for _, count in buckets)  # cumulative


def old(minutes: int) -> datetime:
    return timezone.now() - timedelta(minutes=minutes)


def email(n: int, *, status: str = OutboundEmail.Status.PENDING, created_at: datetime | None = None) -> None:
    OutboundEmail.objects.create(
        from_email="no-reply@remit.example",
        recipients=["ap@globex.example"],
        subject=f"Invoice {n}",
        message_id=f"<{n}@remit.example>",
        raw=b"",
        status=status,
        created_at=created_at or timezone.now(),
    )


def test_it_reports_the_backlogs_their_oldest_age_and_todays_returns(client):
    biller, _ = make_biller("Acme Supply Co.")
    email(1, created_at=old(30))
    email(2, created_at=old(5))
    email(3, status=OutboundEmail.Status.SENT, created_at=old(300))
    email(4, status=OutboundEmail.Status.FAILED, created_at=old(300))

    endpoint = WebhookEndpoint.objects.create(biller=biller, url="https://erp.example/hook", secret_encrypted="x")
    for minutes, status in [(12, "pending"), (1, "delivering"), (500, "succeeded"), (900, "failed")]:
        event = WebhookEvent.objects.create(biller=biller, type="invoice.created", payload={})
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, status=status, created_at=old(minutes))

    customer = make_customer(biller, "Globex Corporation", email="ap@globex.example")
    make_portal_user(customer)
    payment = ach_payment_rows(
        customer, [(make_invoice(customer, amount_cents=5000), 5000)], pay_on=date.today(), status="sent"
    )
    file = AchFile.objects.create(
        biller=biller, filename="acme-1.ach", effective_date=date.today(), created_on=date.today(),
        file_id_modifier="A", sha256="0" * 64, size_bytes=940, entry_count=1, batch_count=1,
        total_debit_cents=5000, total_credit_cents=0,
    )  # fmt: skip
    FileDelivery.objects.create(file=file, biller=biller, created_at=old(45))
    entry = AchEntry.objects.create(
        file=file,
        payment=payment,
        biller=biller,
        batch_number=1,
        sec_code="CCD",
        trace_number="111000020000001",
        amount_cents=5000,
    )
    inbound = InboundFile.objects.create(sha256="1" * 64, filename="returns.ach", biller=biller)
    AchReturn.objects.create(entry=entry, inbound=inbound, code="R01", meaning="Insufficient funds")

    samples = scrape(client)
    assert value(samples, "remit_email_backlog") == 2
    assert 29 * 60 <= value(samples, "remit_email_backlog_oldest_seconds") <= 31 * 60
    assert value(samples, "remit_email_failed") == 1
    assert value(samples, "remit_webhook_backlog") == 2
    assert 11 * 60 <= value(samples, "remit_webhook_backlog_oldest_seconds") <= 13 * 60
    assert value(samples, "remit_webhook_failed") == 1
    assert value(samples, "remit_ach_files_pending_delivery") == 1
    assert 44 * 60 <= value(samples, "remit_ach_files_pending_delivery_oldest_seconds") <= 46 * 60
    assert value(samples, "remit_ach_returns_today") == 1
    assert value(samples, "remit_ach_exports_late") == 0
    assert math.isnan(value(samples, "remit_worker_heartbeat_age_seconds"))
    assert value(samples, "remit_worker_heartbeat_timestamp_seconds") == 0

    heartbeat_beat(now=old(2))
    samples = scrape(client)
    assert 100 <= value(samples, "remit_worker_heartbeat_age_seconds") <= 140
    assert value(samples, "remit_worker_heartbeat_timestamp_seconds") == pytest.approx(old(2).timestamp(), abs=5)


def test_nothing_waiting_reads_as_zero(client):
    samples = scrape(client)
    for name in ["remit_email_backlog", "remit_email_backlog_oldest_seconds", "remit_webhook_backlog",
                 "remit_ach_files_pending_delivery", "remit_ach_returns_today", "remit_ach_exports_late"]:  # fmt: skip
        assert value(samples, name) == 0, name


# A Wednesday (a banking day); the file its cut-off closes is Thursday's.
WEDNESDAY, THURSDAY = date(2026, 12, 2), date(2026, 12, 3)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(WEDNESDAY, time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture
def acme_with_a_due_payment():
    biller, _ = make_biller("Acme Supply Co.")
    AchSettings.objects.create(
        biller=biller, odfi_routing="111000025", immediate_origin="1234567890", destination_name="First Demo Bank",
        origin_name="Acme Supply Co", company_name="ACME SUPPLY CO", company_id="1234567890",
    )  # fmt: skip
    customer = make_customer(biller, "Globex Corporation", email="ap@globex.example")
    make_portal_user(customer)
    payment = ach_payment_rows(customer, [(make_invoice(customer, amount_cents=5000), 5000)], pay_on=THURSDAY)
    BankAccount.objects.filter(pk=payment.bank_account_id).update(debits_from=date(2026, 11, 1))
    return biller, payment


def test_an_export_is_late_once_the_cut_off_passed_with_due_payments_and_no_file(acme_with_a_due_payment):
    biller, _ = acme_with_a_due_payment
    assert exports_late(at(15, 59)) == []  # before the 16:00 cut-off
    assert exports_late(at(16, 5)) == []  # the worker's export check gets two chances (2 × 5 minutes)
    assert exports_late(at(16, 11)) == [biller.pk]
    assert exports_late(at(17) + timedelta(days=3)) == []  # a Saturday has no cut-off


def test_a_file_written_today_or_nothing_due_is_not_late(acme_with_a_due_payment):
    biller, payment = acme_with_a_due_payment
    AchFile.objects.create(
        biller=biller, filename="acme-thu.ach", effective_date=THURSDAY, created_on=WEDNESDAY,
        file_id_modifier="A", sha256="0" * 64, size_bytes=940, entry_count=1, batch_count=1,
        total_debit_cents=5000, total_credit_cents=0,
    )  # fmt: skip
    assert exports_late(at(17)) == []
    AchFile.objects.all().delete()
    payment.__class__.objects.filter(pk=payment.pk).update(status="cancelled")
    assert exports_late(at(17)) == []
