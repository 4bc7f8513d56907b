"""The owners are told when a return rate reaches 50%, 80% or 100% of its NACHA threshold
(``return_rates.py``), once per crossing: ``return_rates_check`` records each level reached as a
``ReturnRateCrossing`` (one open per biller, scope, category and level: a unique constraint) and
emails the owners, in one transaction through the outbox, about the crossings it opened; a level
the rate is below again is closed (``cleared_on``), so reaching it again opens a new crossing and a
new email. Running it again the same day finds the crossings open and emails nothing.

The worker runs it for every biller with ACH settings (``tasks.py: ach_return_rates_check``), as
does ``remit ach return-rates``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction

from remit.ach.models import ReturnRateCrossing
from remit.ach.return_rate_data import local_today, return_rates
from remit.ach.return_rates import ALL, LEVELS, THRESHOLDS, Figures, Rate, percent
from remit.billers.models import Biller
from remit.billers.selectors import owner_emails
from remit.notifications.actions import email_send

SCOPE_NAMES = {"all": "All SEC codes", "WEB": "WEB (consumer, online)", "CCD": "CCD (business)"}


@dataclass(frozen=True)
class Alert:
    """What one email line says: a rate of one scope reached ``level`` (the highest newly reached)."""

    scope: str
    rate: Rate
    level: int

    @property
    def scope_name(self) -> str:
        return SCOPE_NAMES.get(self.scope, self.scope)

    @property
    def rate_text(self) -> str:
        return percent(self.rate.rate)

    @property
    def threshold_text(self) -> str:
        return percent(THRESHOLDS[self.rate.category], 1)

    @property
    def share_text(self) -> str:
        return percent(self.rate.share_of_threshold, 0)


@dataclass
class CheckResult:
    figures: list[Figures]
    opened: list[ReturnRateCrossing] = field(default_factory=list)
    cleared: int = 0
    alerts: list[Alert] = field(default_factory=list)


def return_rates_check(*, biller: Biller, day: date | None = None) -> CheckResult:
    """Compare the biller's return rates in the window that ends on ``day`` (default: its today) with
    every level of every threshold; open and close crossings; email the owners about new ones."""
    with transaction.atomic():
        Biller.objects.select_for_update().filter(pk=biller.pk).first()  # one check per biller at a time
        day = day or local_today(biller)
        result = CheckResult(figures=return_rates(biller, day=day))
        open_now = {
            (c.scope, c.category, c.level): c
            for c in ReturnRateCrossing.objects.filter(biller=biller, cleared_on__isnull=True)
        }
        cleared: list[int] = []
        for figures in result.figures:
            for rate in figures.rates:
                fresh = []
                for level in LEVELS:
                    known = open_now.get((figures.scope, rate.category.value, level))
                    if rate.level >= level and known is None:
                        fresh.append(level)
                        result.opened.append(_crossing(biller, figures.scope, rate, level, day))
                    elif rate.level < level and known is not None:
                        cleared.append(known.pk)
                if fresh:
                    result.alerts.append(Alert(figures.scope, rate, max(fresh)))
        result.cleared = ReturnRateCrossing.objects.filter(pk__in=cleared).update(cleared_on=day)
        ReturnRateCrossing.objects.bulk_create(result.opened)
        if result.alerts:
            _tell_owners(biller, result.alerts, day)
    return result


def _crossing(biller: Biller, scope: str, rate: Rate, level: int, day: date) -> ReturnRateCrossing:
    return ReturnRateCrossing(
        biller=biller,
        scope=scope,
        category=rate.category.value,
        level=level,
        crossed_on=day,
        entries=rate.entries,
        returns=rate.returns,
    )


def _tell_owners(biller: Biller, alerts: list[Alert], day: date) -> None:
    owners = owner_emails(biller.pk)
    if not owners:
        return
    alerts = _worth_saying(alerts)
    top = max(alerts, key=lambda alert: (alert.level, alert.rate.share_of_threshold))
    email_send(
        to=owners,
        template="ach_return_rate_alert",
        biller=biller,
        context={
            "alerts": alerts,
            "top": top,
            "over": any(alert.level == 100 for alert in alerts),
            "day": day,
            "console_url": f"{settings.REMIT_BASE_URL}/console/{biller.slug}/ach/return-rates/",
        },
    )


def _worth_saying(alerts: list[Alert]) -> list[Alert]:
    """The alerts, less a SEC code's that only repeats the all-codes line (a biller with one kind)."""
    said = {(alert.rate, alert.level) for alert in alerts if alert.scope == ALL}
    return [alert for alert in alerts if alert.scope == ALL or (alert.rate, alert.level) not in said]


HEADER = ("SEC code", "Category", "Returns", "Entries", "Rate", "Threshold", "Of threshold", "Status")


def rate_lines(biller: Biller, result: CheckResult, *, checked: bool = True) -> list[str]:
    """What ``remit ach return-rates`` prints for one biller: a table of its rates and what the check
    did (``checked``: it ran; else the figures of another day were only printed)."""
    day = result.figures[0].day
    rows = [HEADER] + [
        (
            figures.scope,
            rate.category.label,
            str(rate.returns),
            str(rate.entries),
            percent(rate.rate),
            percent(rate.threshold, 1),
            percent(rate.share_of_threshold, 0),
            rate.status,
        )
        for figures in result.figures
        for rate in figures.rates
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER))]
    lines = [f"{biller.slug}: return rates over the 60 days to {day:%Y-%m-%d}"]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if not checked:
        lines.append("  Figures only: the check runs on today's figures; nobody emailed.")
    elif result.alerts:
        levels = ", ".join(f"{a.scope} {a.rate.category.label.lower()} at {a.level}%" for a in result.alerts)
        lines.append(f"  New crossings, the owners were emailed: {levels}.")
    else:
        lines.append("  No new crossing; nobody emailed.")
    if result.cleared:
        lines.append(f"  {result.cleared} level(s) no longer reached.")
    return lines
