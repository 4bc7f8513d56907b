"""ACH → Return rates: the biller's return rates over the rolling 60 days against NACHA's thresholds
(``remit.ach.return_rates``), a table per SEC code, the 90-day trend as an inline SVG chart (the
tables are its text alternative), the alerts sent, and the annual risk review's downloads. Owners
and staff may look; every read starts from the biller in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from remit.ach.models import AchFile, ReturnRateCrossing
from remit.ach.return_rate_alerts import SCOPE_NAMES
from remit.ach.return_rate_data import local_today, return_rate_trend
from remit.ach.return_rates import ALL, LEVELS, SCOPES, Category, Figures, Rate, percent
from remit.ach.risk_review import review_pdf, review_rows, risk_review
from remit.console.views import ConsoleRequest, console_view
from remit.console.views_transfer import streamed
from remit.invoices.exports import csv_response
from remit.lib.charts import Line, line_chart_svg

CROSSINGS_SHOWN = 20
LINE_STYLES = {
    Category.UNAUTHORIZED: ("#b42318", ""),
    Category.ADMINISTRATIVE: ("#b54708", "6 3"),
    Category.OVERALL: ("#1d5c8d", "2 3"),
}
BADGES = {0: "rate-ok", 50: "rate-50", 80: "rate-80", 100: "rate-100"}


@dataclass(frozen=True)
class RateRow:
    rate: Rate

    @property
    def category(self) -> Category:
        return self.rate.category

    @property
    def rate_text(self) -> str:
        return percent(self.rate.rate)

    @property
    def threshold_text(self) -> str:
        return percent(self.rate.threshold, 1)

    @property
    def share_text(self) -> str:
        return percent(self.rate.share_of_threshold, 0)

    @property
    def badge(self) -> str:
        return BADGES[self.rate.level]


@dataclass(frozen=True)
class ScopeTable:
    scope: str
    name: str
    figures: Figures

    @property
    def rows(self) -> list[RateRow]:
        return [RateRow(rate) for rate in self.figures.rates]


def trend_svg(trend: list[Figures], *, wide: bool) -> str:
    """The chart of each category's rate as a percent of its threshold, a point a day: ``wide`` for
    a desktop, else narrow for a phone (one viewBox can't keep its text legible on both)."""
    lines = [
        Line(
            f"{category.label}",
            [float(point.rate(category).share_of_threshold * 100) for point in trend],
            *LINE_STYLES[category],
        )
        for category in Category
    ]
    return line_chart_svg(
        labels=[f"{point.day:%b} {point.day.day}" for point in trend],
        lines=lines,
        title="Return rates over the last 90 days, as a percent of NACHA's thresholds",
        description=_described(trend),
        guides=[(level, "threshold" if level == 100 else f"{level}%") for level in LEVELS],
        width=760 if wide else 360,
        height=200 if wide else 150,
        label_every=15 if wide else 30,
        chart_id="return-rate-trend" if wide else "return-rate-trend-narrow",
    )


def _described(trend: list[Figures]) -> str:
    if not trend:
        return "No days to show."
    first, last = trend[0], trend[-1]
    said = []
    for category in Category:
        shares = [point.rate(category).share_of_threshold for point in trend]
        peak = max(shares)
        peak_day = trend[shares.index(peak)].day
        said.append(
            f"{category.label} returns: {percent(shares[-1], 0)} of the "
            f"{percent(last.rate(category).threshold, 1)} threshold on {last.day:%b} {last.day.day}"
            + (f", highest {percent(peak, 0)} on {peak_day:%b} {peak_day.day}" if peak > Fraction(0) else "")
        )
    span = f"From {first.day:%b} {first.day.day} to {last.day:%b} {last.day.day}, every SEC code: "
    return span + "; ".join(said) + "."


@console_view()
def ach_return_rates(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    today = local_today(biller)
    trend = return_rate_trend(biller, day=today)
    tables = [ScopeTable(scope, SCOPE_NAMES[scope], trend[scope][-1]) for scope in SCOPES]
    years = AchFile.objects.filter(biller=biller).dates("created_on", "year", order="DESC")
    context = {
        "today": today,
        "tables": tables,
        "everything": tables[0] if tables[0].scope == ALL else None,
        "trend_svg": trend_svg(trend[ALL], wide=True),
        "trend_svg_narrow": trend_svg(trend[ALL], wide=False),
        "crossings": ReturnRateCrossing.objects.filter(biller=biller)[:CROSSINGS_SHOWN],
        "scope_names": SCOPE_NAMES,
        "years": sorted({today.year, *(day.year for day in years)}, reverse=True),
        "this_year": today.year,
    }
    return render(request, "console/ach/return_rates.html", context)


# --- The annual risk review ----------------------------------------------------------------------


def _year(request: ConsoleRequest) -> int:
    """The year asked for: this one by default; not a year, or one before Remit or to come, is a 404."""
    today = local_today(request.biller)
    text = request.GET.get("year", "") or str(today.year)
    if not text.isdigit() or not 2000 <= int(text) <= today.year:
        raise Http404("No such year.")
    return int(text)


@console_view()
@streamed
def ach_risk_review_csv(request: ConsoleRequest) -> StreamingHttpResponse:
    year = _year(request)
    review = risk_review(request.biller, year=year)
    return csv_response(review_rows(review), f"{request.biller.slug}-ach-risk-review-{year}.csv")


@console_view()
def ach_risk_review_pdf(request: ConsoleRequest) -> HttpResponse:
    year = _year(request)
    response = HttpResponse(review_pdf(risk_review(request.biller, year=year)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{request.biller.slug}-ach-risk-review-{year}.pdf"'
    return response
