"""Reads for the return rates (the pure core is ``return_rates.py``): a biller's debit entries and the
returns of them that stand, counted per day in the biller's time zone, in two aggregate queries
however many entries there are.

A return *stands* while its payment is returned: a return that the biller's bank dishonored (the
payment restored, ``dishonors.py``) is not counted; contested again, it counts again.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from remit.ach.models import AchEntry, AchReturn
from remit.ach.return_rates import SCOPES, WINDOW_DAYS, DailyCounts, Figures, figures, series
from remit.billers.models import Biller
from remit.payments.models import PaymentStatus

TREND_DAYS = 90


def debit_entries(biller_id: int) -> QuerySet[AchEntry]:
    """The biller's debit entries. Today every ``AchEntry`` is a payment's debit; prenotes (amount 0)
    are left out here, and so must micro-entry credits be when files carry them: this is the one
    filter to extend."""
    return AchEntry.objects.filter(biller_id=biller_id, amount_cents__gt=0)


def standing_returns(biller_id: int) -> QuerySet[AchReturn]:
    """The returns of the biller's debit entries that stand (see the module's docstring)."""
    return AchReturn.objects.filter(
        entry__biller_id=biller_id, entry__amount_cents__gt=0, entry__payment__status=PaymentStatus.RETURNED
    )


def local_today(biller: Biller) -> date:
    return biller.today()


def daily_counts(biller: Biller, *, first: date, last: date) -> DailyCounts:
    """Debit entries per (day their file was written, SEC code) and standing returns per (day
    imported, SEC code, return code), from ``first`` to ``last`` (both included)."""
    zone = ZoneInfo(biller.time_zone)
    entries = (
        debit_entries(biller.pk)
        .filter(file__created_on__gte=first, file__created_on__lte=last)
        .values_list("file__created_on", "sec_code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    returns = (
        standing_returns(biller.pk)
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values_list("day", "entry__sec_code", "code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return DailyCounts(
        entries={(day, sec): n for day, sec, n in entries},
        returns={(day, sec, code): n for day, sec, code, n in returns},
    )


def return_rates(biller: Biller, *, day: date | None = None) -> list[Figures]:
    """The rates of every scope (all SEC codes, WEB, CCD) in the window that ends on ``day``
    (default: the biller's today)."""
    day = day or local_today(biller)
    counts = daily_counts(biller, first=day - timedelta(days=WINDOW_DAYS - 1), last=day)
    return [figures(counts, day=day, scope=scope) for scope in SCOPES]


def return_rate_trend(biller: Biller, *, day: date | None = None, days: int = TREND_DAYS) -> dict[str, list[Figures]]:
    """The rates of each of the ``days`` days that end on ``day``, per scope (one fetch for all)."""
    day = day or local_today(biller)
    first = day - timedelta(days=days - 1)
    counts = daily_counts(biller, first=first - timedelta(days=WINDOW_DAYS - 1), last=day)
    return {scope: series(counts, first=first, last=day, scope=scope) for scope in SCOPES}
