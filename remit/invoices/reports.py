"""What the biller console's dashboard shows about money: receivables aging and the cash-flow forecast.

Reads only. Every function takes the biller and ``today`` explicitly, so a report is the same for
the same data whatever the clock says, and each report is one query however many invoices or
payments there are. Balances and statuses come from ``ledger.amounts`` (never re-derived here), so
credits applied to invoices lower the aging; credit not applied yet is its own (negative) figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils.dateformat import format as format_date

from remit.billers.models import Biller
from remit.invoices.models import Invoice
from remit.ledger import amounts
from remit.ledger.models import IN_FLIGHT, Credit, Payment
from remit.lib.banking_days import banking_days, on_or_after, previous_banking_day
from remit.lib.charts import Bar, bar_chart_svg

FORECAST_DAYS = 30


@dataclass(frozen=True)
class AgingBucket:
    key: str  # "current", "1_30", "31_60", "61_90", "90_plus", or "total" for the sum of all
    label: str
    total_cents: int
    invoice_count: int


@dataclass(frozen=True)
class ForecastDay:
    day: date  # a banking day
    total_cents: int
    autopay_cents: int  # the part of total_cents that AutoPay scheduled


@dataclass(frozen=True)
class ForecastTotal:
    total_cents: int
    autopay_cents: int


# Days past due (today − due date), both ends included; None is open-ended. "Current" is not yet
# past due: due today or later.
AGING_BUCKETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("current", "Current", None, 0),
    ("1_30", "1–30", 1, 30),
    ("31_60", "31–60", 31, 60),
    ("61_90", "61–90", 61, 90),
    ("90_plus", "90+", 91, None),
)


def _days_past_due(today: date, first: int | None, last: int | None) -> Q:
    """Invoices that are between ``first`` and ``last`` days past due on ``today``."""
    where = Q()
    if first is not None:
        where &= Q(due_date__lte=today - timedelta(days=first))
    if last is not None:
        where &= Q(due_date__gte=today - timedelta(days=last))
    return where


def aging(*, biller: Biller, today: date) -> list[AgingBucket]:
    """The outstanding balance (void and paid invoices excluded) by how long past due, in one query."""
    balance = amounts.balance_sql()
    sums: dict[str, Any] = {}
    for key, _label, first, last in AGING_BUCKETS:
        where = _days_past_due(today, first, last)
        sums[f"{key}_cents"] = Sum(balance, filter=where, default=0)
        sums[f"{key}_count"] = Count("pk", filter=where)
    row = Invoice.objects.filter(amounts.status_filter("outstanding", today), biller=biller).aggregate(**sums)
    return [
        AgingBucket(key=key, label=label, total_cents=int(row[f"{key}_cents"]), invoice_count=row[f"{key}_count"])
        for key, label, _first, _last in AGING_BUCKETS
    ]


def unapplied_credit_cents(*, biller: Biller) -> int:
    """Credit the biller's customers hold and have not used yet (it lowers what they will pay): shown
    under the aging as a negative line, and with the forecast. Applied credits need no line of their
    own: they already lower the invoices' balances (``credited_cents``) and Auto Pay's debits."""
    left = Credit.objects.filter(biller=biller).aggregate(left=Sum(F("amount_cents") - F("applied_cents"), default=0))
    return int(left["left"])


def cash_flow_forecast(*, biller: Biller, today: date, days: int = FORECAST_DAYS) -> list[ForecastDay]:
    """Money expected on each banking day of the ``days`` calendar days from ``today``, in one query.

    Every payment that is scheduled or sent counts on its ``pay_on`` date, or the next banking day
    when that date is a weekend or Fed holiday (as the Fed settles it). So a payment dated the
    Sunday before today still counts today, and one dated the last day of the window, a Saturday,
    falls outside it. Days with nothing expected are listed with zero.
    """
    window = banking_days(today, today + timedelta(days=days - 1))
    # The closed days just before today roll forward into it; earlier dates never do.
    earliest = previous_banking_day(today) + timedelta(days=1)
    rows = (
        Payment.objects.filter(
            biller=biller, status__in=IN_FLIGHT, pay_on__gte=earliest, pay_on__lte=today + timedelta(days=days - 1)
        )
        .values("pay_on")
        .annotate(total=Sum("amount_cents"), autopay=Sum("amount_cents", filter=Q(is_autopay=True), default=0))
        .order_by("pay_on")
    )
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        day = totals[on_or_after(row["pay_on"])]
        day[0] += row["total"]
        day[1] += row["autopay"]
    return [ForecastDay(day=day, total_cents=totals[day][0], autopay_cents=totals[day][1]) for day in window]


def dashboard_context(*, biller: Biller, today: date) -> dict[str, Any]:
    """Everything ``console/_receivables.html`` needs: both reports, their totals and their charts."""
    buckets = aging(biller=biller, today=today)
    forecast = cash_flow_forecast(biller=biller, today=today)
    credit = unapplied_credit_cents(biller=biller)
    owed = sum(bucket.total_cents for bucket in buckets)
    return {
        "unapplied_credit_cents": credit,
        "aging_net_cents": owed - credit,
        "aging": buckets,
        "aging_total": AgingBucket(
            key="total",
            label="Total",
            total_cents=sum(bucket.total_cents for bucket in buckets),
            invoice_count=sum(bucket.invoice_count for bucket in buckets),
        ),
        "aging_svg": aging_chart(buckets),
        "forecast": forecast,
        "forecast_total": ForecastTotal(
            total_cents=sum(day.total_cents for day in forecast),
            autopay_cents=sum(day.autopay_cents for day in forecast),
        ),
        "forecast_svg": forecast_chart(forecast),
    }


def aging_chart(buckets: list[AgingBucket]) -> str:
    bars = [
        Bar(
            label=bucket.label,
            value_cents=bucket.total_cents,
            title=_bucket_title(bucket),
        )
        for bucket in buckets
    ]
    return bar_chart_svg(
        bars=bars,
        title="Receivables aging",
        x_label="Days past due",
        empty_note="No outstanding invoices",
        chart_id="chart-aging",
    )


def _bucket_title(bucket: AgingBucket) -> str:
    when = "Not yet due" if bucket.key == "current" else f"{bucket.label} days past due"
    return f"{when} ({bucket.invoice_count} invoice{'' if bucket.invoice_count == 1 else 's'})"


def forecast_chart(forecast: list[ForecastDay]) -> str:
    bars = [
        Bar(
            label=format_date(day.day, "M j"),
            value_cents=day.total_cents,
            secondary_cents=day.autopay_cents,
            title=format_date(day.day, "l, F j"),
        )
        for day in forecast
    ]
    return bar_chart_svg(
        bars=bars,
        title="Cash flow forecast, next 30 days",
        x_label="Banking days",
        primary_name="One-time",
        secondary_name="AutoPay",
        empty_note="Nothing expected yet",
        chart_id="chart-forecast",
    )
