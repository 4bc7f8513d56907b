"""GET /metrics: Prometheus's text format, for an operator's monitoring, behind a bearer token
(``REMIT_METRICS_TOKEN``; unset, the page does not exist).

Request latencies are this process's own (``lib/metrics.py``: each web process counts what it
served). Everything else is read from the database when asked, in a fixed, small number of
queries whatever the number of billers: backlogs use the status indexes of their tables."""

from __future__ import annotations

import hmac
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from remit.ach.models import AchFile, AchReturn, AchSettings
from remit.bank.models import DeliveryStatus as FileStatus
from remit.bank.models import FileDelivery
from remit.lib.banking_days import is_banking_day, next_banking_day
from remit.lib.metrics import REQUEST_SECONDS, RESPONSES, STARTED, Family, render
from remit.notifications.models import OutboundEmail
from remit.payments.models import Payment, PaymentHold, PaymentMethod, PaymentStatus
from remit.site.heartbeat import heartbeat_read
from remit.webhooks.models import DeliveryStatus as WebhookStatus
from remit.webhooks.models import WebhookDelivery

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.REMIT_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: set REMIT_METRICS_TOKEN.")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render(collect()), content_type=CONTENT_TYPE)


def collect(now: datetime | None = None) -> list[Family]:
    now = now or timezone.now()
    return [
        *request_families(),
        *backlog_families(now),
        Family("remit_ach_exports_late", "gauge", LATE_HELP).add(len(exports_late(now))),
        Family("remit_ach_returns_today", "gauge", "ACH returns imported today (since midnight, TIME_ZONE).").add(
            returns_today(now)
        ),
        *heartbeat_families(now),
    ]


def request_families() -> Iterable[Family]:
    yield REQUEST_SECONDS.family(
        "remit_http_request_duration_seconds",
        "Time to answer a request, by route (the URL's name) and method; this process's requests only.",
    )
    yield RESPONSES.family(
        "remit_http_responses_total", "Responses by route, method and status class; this process's only."
    )
    yield Family("remit_process_start_time_seconds", "gauge", "When this process started (Unix time).").add(STARTED)


@dataclass(frozen=True)
class Backlog:
    count: int
    oldest: datetime | None

    def age(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest else 0.0


def backlog(queryset: object, field: str = "created_at") -> Backlog:
    row = queryset.aggregate(count=Count("pk"), oldest=Min(field))  # type: ignore[attr-defined]
    return Backlog(row["count"], row["oldest"])


def email_backlog() -> Backlog:
    """Emails waiting to be delivered, and the oldest one's age (used by ``/healthz`` too)."""
    return backlog(OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING))


def backlog_families(now: datetime) -> Iterable[Family]:
    emails = email_backlog()
    webhooks = backlog(WebhookDelivery.objects.filter(status__in=[WebhookStatus.PENDING, WebhookStatus.DELIVERING]))
    files = backlog(FileDelivery.objects.exclude(status=FileStatus.DELIVERED))
    failed_emails = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).count()
    failed_webhooks = WebhookDelivery.objects.filter(status=WebhookStatus.FAILED).count()
    yield Family("remit_email_backlog", "gauge", "Emails in the outbox waiting to be delivered.").add(emails.count)
    yield Family("remit_email_backlog_oldest_seconds", "gauge", "Age of the oldest email waiting (0: none waits).").add(
        emails.age(now)
    )
    yield Family("remit_email_failed", "gauge", "Emails given up on after every attempt.").add(failed_emails)
    yield Family("remit_webhook_backlog", "gauge", "Webhook deliveries waiting or being delivered.").add(webhooks.count)
    yield Family(
        "remit_webhook_backlog_oldest_seconds", "gauge", "Age of the oldest webhook delivery waiting (0: none)."
    ).add(webhooks.age(now))
    yield Family("remit_webhook_failed", "gauge", "Webhook deliveries that failed for good.").add(failed_webhooks)
    yield Family(
        "remit_ach_files_pending_delivery", "gauge", "NACHA files not yet delivered to the bank over SFTP."
    ).add(files.count)
    yield Family(
        "remit_ach_files_pending_delivery_oldest_seconds",
        "gauge",
        "Age of the oldest file not yet delivered (0: none).",
    ).add(files.age(now))


LATE_HELP = (
    "Billers whose export is late: today is a banking day in the biller's time zone, its cut-off passed more "
    "than two export checks ago, it has scheduled ACH payments the cut-off's file should carry, and no file "
    "for the next banking day was written today."
)


def exports_late(now: datetime) -> list[int]:
    """The ids of the billers whose export is late (see ``LATE_HELP``). The payments counted are those
    ``ach/export.py: due_payments`` would put in the file at the cut-off: scheduled ACH payments whose
    Pay On is the next banking day or earlier (late ones are moved into it), from an account that may
    be debited by then, not held for review."""
    check = cast(float, settings.CELERY_BEAT_SCHEDULE["ach-export-due"]["schedule"])  # how often the worker exports
    grace = timedelta(seconds=2 * check)
    waiting: dict[tuple[date, date], list[int]] = defaultdict(list)
    for biller_id, cutoff, zone in AchSettings.objects.values_list(
        "biller_id", "biller__ach_cutoff_time", "biller__time_zone"
    ):
        local = now.astimezone(ZoneInfo(zone))
        today = local.date()
        closes = datetime.combine(today, cutoff or time(16, 0), tzinfo=local.tzinfo) + grace
        if is_banking_day(today) and local >= closes:
            waiting[(today, next_banking_day(today))].append(biller_id)
    late: list[int] = []
    for (today, day), billers in waiting.items():
        held = PaymentHold.objects.filter(payment=OuterRef("pk"), decided_at__isnull=True)
        due = set(
            Payment.objects.filter(
                biller_id__in=billers,
                method=PaymentMethod.ACH,
                status=PaymentStatus.SCHEDULED,
                pay_on__lte=day,
                bank_account__debits_from__lte=day,
            )
            .filter(~Exists(held))
            .values_list("biller_id", flat=True)
            .distinct()
        )
        written = set(
            AchFile.objects.filter(biller_id__in=due, created_on=today, effective_date=day).values_list(
                "biller_id", flat=True
            )
        )
        late += sorted(due - written)
    return late


def returns_today(now: datetime) -> int:
    zone = ZoneInfo(settings.TIME_ZONE)
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    return AchReturn.objects.filter(created_at__gte=midnight).count()


def heartbeat_families(now: datetime) -> Iterable[Family]:
    beat = heartbeat_read(now=now)
    yield Family(
        "remit_worker_heartbeat_timestamp_seconds", "gauge", "When a worker last ran the heartbeat (0: never)."
    ).add(beat.seen_at.timestamp() if beat.seen_at else 0)
    yield Family(
        "remit_worker_heartbeat_age_seconds", "gauge", "Seconds since a worker last ran the heartbeat (NaN: never)."
    ).add(beat.age_seconds if beat.age_seconds is not None else math.nan)


__all__ = ["collect", "email_backlog", "exports_late", "metrics"]
