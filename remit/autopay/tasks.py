from __future__ import annotations

from celery import shared_task

from remit.autopay.engine import autopay_run
from remit.autopay.notices import autopay_send_notices


@shared_task
def autopay_sweep() -> int:
    """The periodic sweep: every customer with Auto Pay on, every open invoice."""
    report = autopay_run()
    autopay_send_notices()
    return len(report.scheduled) + len(report.rescheduled) + len(report.withdrawn)


@shared_task
def send_autopay_notices() -> int:
    return autopay_send_notices()
