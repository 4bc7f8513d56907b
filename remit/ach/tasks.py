"""The worker's ACH duties: at each biller's cut-off on each banking day, the file of the next
banking day; and, regularly, settlement and the return-rate check. All are safe to run any number of
times."""

from __future__ import annotations

import logging

from celery import shared_task

from remit.ach.export import AchError, ach_export
from remit.ach.hooks import file_written
from remit.ach.models import AchSettings
from remit.ach.return_rate_alerts import return_rates_check
from remit.ach.settle import ach_settle
from remit.lib.banking_days import is_banking_day

log = logging.getLogger(__name__)


@shared_task
def ach_export_due() -> int:
    """Export for every biller whose cut-off has passed today (a banking day in its time zone)."""
    written = 0
    for ach in AchSettings.objects.select_related("biller"):
        biller = ach.biller
        now_local = biller.local_now()
        if not is_banking_day(now_local.date()) or now_local.time() < biller.ach_cutoff_time:
            continue
        try:
            result = ach_export(biller=biller)
        except AchError as error:
            log.error("ACH export for %s failed: %s", biller.slug, error)
            continue
        if result.file is not None:
            written += 1
            log.info("Wrote %s: %d payment(s).", result.file.filename, result.payments)
            file_written(result.file.pk)  # committed: the bank connection (if any) delivers it now
    return written


@shared_task
def ach_settle_due() -> int:
    return ach_settle()


@shared_task
def ach_return_rates_check() -> int:
    """Compare every biller's return rates with NACHA's thresholds; the owners are emailed once per
    crossing (a second run the same day emails nothing). Answers how many billers were emailed."""
    emailed = 0
    for ach in AchSettings.objects.select_related("biller").order_by("biller_id"):
        emailed += bool(return_rates_check(biller=ach.biller).alerts)
    return emailed
