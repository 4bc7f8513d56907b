"""The annual risk review (NACHA's fraud-monitoring rules of 2026 ask originators to review their
processes at least once a year): for one calendar year, the biller's ACH debits per month and SEC
code (entries, amount), their returns by category and the rates (``return_rates.py``), the alerts of
return-rate crossings, the controls in place, and the decisions on payments held for review. As CSV
(``review_rows``) and as a PDF (``review_pdf``, fpdf2 and the DejaVu fonts of ``invoices/pdf.py``).

A month's rate is the returns received in that month divided by the debit entries sent in it (the
rolling rate's definition, over a calendar month). Months are the biller's (its time zone).

The payments held for review are every hold placed in the year (by a customer's limit or a risk
rule, ``hold_decisions``), with their decision, and counted by rule (``hold_counts``); the controls
name the biller's switches and risk rules in force with their parameters (``controls``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from fpdf import FPDF

from remit.ach.models import ReturnRateCrossing
from remit.ach.return_rate_data import debit_entries, local_today, standing_returns
from remit.ach.return_rates import (
    ALL,
    LEVELS,
    SEC_CODES,
    THRESHOLDS,
    WINDOW_DAYS,
    Category,
    Rate,
    categories_of,
    percent,
)
from remit.billers.models import Biller
from remit.invoices.pdf import add_dejavu
from remit.lib.money import cents_to_plain, format_cents
from remit.payments.controls import PER_MONTH, PER_PAYMENT, settings_of
from remit.payments.models import OverLimit, PaymentHold
from remit.payments.risk_rules import (
    ACCOUNT_CHANGE,
    MANY_ACCOUNTS,
    NEW_ACCOUNT,
    RULE_NAMES,
    SHARED_ACCOUNT,
    UNUSUAL_AMOUNT,
)
from remit.payments.risk_settings import risk_settings_of

SCOPE_LABELS = {ALL: "All", "WEB": "WEB", "CCD": "CCD"}


@dataclass(frozen=True)
class MonthRow:
    """One month (``month`` is its first day; None: the whole year) of one scope."""

    month: date | None
    scope: str
    entries: int
    amount_cents: int
    returns: dict[Category, int]

    def rate(self, category: Category) -> Rate:
        return Rate(category, self.entries, self.returns[category])

    @property
    def month_label(self) -> str:
        return f"{self.month:%Y-%m}" if self.month else "Year"


@dataclass(frozen=True)
class HoldDecision:
    """A payment held for review and what was decided (see ``hold_decisions``)."""

    held_on: date
    decided_on: date | None
    customer: str
    amount_cents: int
    rule: str
    decision: str  # "Approved", "Rejected" or "Undecided"
    reason: str
    decided_by: str


@dataclass(frozen=True)
class HoldCount:
    """The holds one rule placed in the year, and how they were decided (a hold of several rules
    counts for each)."""

    rule: str
    placed: int
    approved: int
    rejected: int
    undecided: int


@dataclass
class RiskReview:
    biller: Biller
    year: int
    months: list[MonthRow]
    year_rows: list[MonthRow]
    crossings: list[ReturnRateCrossing]
    decisions: list[HoldDecision]
    controls: list[tuple[str, str]]
    hold_counts: list[HoldCount] = field(default_factory=list)
    made_at: datetime = field(default_factory=timezone.now)


def risk_review(biller: Biller, *, year: int) -> RiskReview:
    """Everything the review says about ``year``, in three queries and the two extension points."""
    zone = ZoneInfo(biller.time_zone)
    first, last = date(year, 1, 1), date(year, 12, 31)
    today = local_today(biller)
    shown_until = min(last, today) if year == today.year else last
    volumes = (
        debit_entries(biller.pk)
        .filter(file__created_on__gte=first, file__created_on__lte=last)
        .annotate(month=TruncMonth("file__created_on"))
        .values_list("month", "sec_code")
        .annotate(n=Count("pk"), cents=Sum("amount_cents"))
        .order_by()
    )
    returns = (
        standing_returns(biller.pk)
        .filter(
            created_at__gte=datetime.combine(first, time.min, tzinfo=zone),
            created_at__lt=datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=zone),
        )
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values_list("month", "entry__sec_code", "code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counted: dict[tuple[int, str], list[int]] = {}  # (month number, SEC code) → [entries, cents]
    for month, sec, n, cents in volumes:
        counted[(_month_number(month), sec)] = [n, cents or 0]
    returned: dict[tuple[int, str, Category], int] = {}
    for month, sec, code, n in returns:
        for category in categories_of(code):
            key = (_month_number(month), sec, category)
            returned[key] = returned.get(key, 0) + n
    months = [
        _row(date(year, number, 1), scope, counted, returned, [number])
        for number in range(1, shown_until.month + 1)
        for scope in (*SEC_CODES, ALL)
    ]
    everything = list(range(1, 13))
    year_rows = [_row(None, scope, counted, returned, everything) for scope in (*SEC_CODES, ALL)]
    crossings = list(
        ReturnRateCrossing.objects.filter(biller=biller, crossed_on__gte=first, crossed_on__lte=last).order_by(
            "crossed_on", "pk"
        )
    )
    return RiskReview(
        biller=biller,
        year=year,
        months=months,
        year_rows=year_rows,
        crossings=crossings,
        decisions=(decisions := hold_decisions(biller, year=year)),
        controls=controls(biller),
        hold_counts=hold_counts(decisions),
    )


def _month_number(value: date | datetime) -> int:
    return value.month


def _row(
    month: date | None,
    scope: str,
    counted: dict[tuple[int, str], list[int]],
    returned: dict[tuple[int, str, Category], int],
    numbers: list[int],
) -> MonthRow:
    # SEC codes other than WEB and CCD (none today) count in "All" only.
    every = {sec for _, sec in counted} | {sec for _, sec, _ in returned} | set(SEC_CODES)
    secs = tuple(every) if scope == ALL else (scope,)
    entries = sum(counted.get((n, sec), [0, 0])[0] for n in numbers for sec in secs)
    cents = sum(counted.get((n, sec), [0, 0])[1] for n in numbers for sec in secs)
    by_category = {c: sum(returned.get((n, sec, c), 0) for n in numbers for sec in secs) for c in Category}
    return MonthRow(month=month, scope=scope, entries=entries, amount_cents=cents, returns=by_category)


def rule_label(codes: str) -> str:
    """A hold's rules (``rule_code``, comma-separated) in words."""
    return ", ".join(RULE_LABELS.get(code, code) for code in codes.split(","))


RULE_LABELS = {**RULE_NAMES, PER_PAYMENT: "Above the limit per payment", PER_MONTH: "Above the limit per month"}


def hold_decisions(biller: Biller, *, year: int) -> list[HoldDecision]:
    """The payments held for review in ``year`` (the biller's year) and what was decided, oldest
    first: one query."""
    zone = ZoneInfo(biller.time_zone)
    holds = (
        PaymentHold.objects.filter(
            payment__biller=biller,
            created_at__gte=datetime.combine(date(year, 1, 1), time.min, tzinfo=zone),
            created_at__lt=datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=zone),
        )
        .order_by("created_at", "pk")
        .values_list(
            "created_at",
            "decided_at",
            "payment__customer__name",
            "payment__amount_cents",
            "rule_code",
            "decision",
            "decision_reason",
            "decided_by_email",
        )
    )
    return [
        HoldDecision(
            held_on=held.astimezone(zone).date(),
            decided_on=decided.astimezone(zone).date() if decided else None,
            customer=customer,
            amount_cents=amount,
            rule=rule_label(code),
            decision=decision.capitalize() if decision else "Undecided",
            reason=reason,
            decided_by=decided_by,
        )
        for held, decided, customer, amount, code, decision, reason, decided_by in holds
    ]


def hold_counts(decisions: list[HoldDecision]) -> list[HoldCount]:
    """The year's holds counted by rule, in the order of the rules."""
    counts: dict[str, list[int]] = {}
    for decision in decisions:
        for rule in decision.rule.split(", "):
            row = counts.setdefault(rule, [0, 0, 0, 0])
            row[0] += 1
            row[{"Approved": 1, "Rejected": 2}.get(decision.decision, 3)] += 1
    order = list(RULE_LABELS.values())
    return [
        HoldCount(rule, *row)
        for rule, row in sorted(counts.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99)
    ]


def controls(biller: Biller) -> list[tuple[str, str]]:
    """The risk controls in place, as (name, what it does): what the review says was monitored."""
    thresholds = ", ".join(f"{c.label.lower()} {percent(THRESHOLDS[c], 1)}" for c in Category)
    levels = ", ".join(f"{level}%" for level in LEVELS)
    return [
        (
            "Return-rate monitoring",
            f"Rates of debit returns over a rolling {WINDOW_DAYS} days, per SEC code and overall, against "
            f"NACHA's thresholds ({thresholds}); checked hourly; the owners are emailed at {levels} of each.",
        ),
        (
            "Blocked accounts",
            "An account returned as closed, not found, invalid, unauthorized or revoked is blocked and "
            "Auto Pay from it turned off.",
        ),
        *payment_controls(biller),
    ]


def payment_controls(biller: Biller) -> list[tuple[str, str]]:
    """The biller's switches and its risk rules in force, with their parameters."""
    switches = settings_of(biller)
    rules = risk_settings_of(biller)
    over = "held for review" if switches.over_limit == OverLimit.HOLD else "refused"
    found = [
        (
            "Payment switches",
            f"ACH payments {'accepted' if switches.accept_ach else 'not accepted'}; Auto Pay "
            f"{'allowed' if switches.allow_autopay else 'not allowed'}; a payment above a customer's limit is {over}.",
        )
    ]
    held = "held for review before it goes in a file"
    described = [
        (
            NEW_ACCOUNT,
            rules.new_account_on,
            f"The first debit from an account above {format_cents(rules.new_account_above_cents)} is {held}.",
        ),
        (
            ACCOUNT_CHANGE,
            rules.account_change_on,
            f"An Auto Pay debit from an account added or switched to within {rules.account_change_days} days "
            f"before its Pay On is {held}.",
        ),
        (
            UNUSUAL_AMOUNT,
            rules.unusual_amount_on,
            f"A payment more than {rules.unusual_amount_times}× the median of the customer's last 12 settled "
            f"payments (with at least 3) is {held}.",
        ),
        (
            MANY_ACCOUNTS,
            rules.many_accounts_on,
            f"Payments from {rules.many_accounts_count} or more accounts a customer added within 24 hours are {held}.",
        ),
        (
            SHARED_ACCOUNT,
            rules.shared_account_on,
            f"Payments from an account active at {rules.shared_account_customers} or more customers are {held}.",
        ),
    ]
    for code, on, detail in described:
        found.append((f"Risk rule: {RULE_NAMES[code]}", detail if on else "Off."))
    return found


# --- CSV -----------------------------------------------------------------------------------------

VOLUME_HEADER = [
    "Month",
    "SEC code",
    "Entries",
    "Amount",
    "Returns",
    "Unauthorized returns",
    "Administrative returns",
    "Overall rate",
    "Unauthorized rate",
    "Administrative rate",
]


def _volume_cells(row: MonthRow) -> list[str]:
    return [
        row.month_label,
        SCOPE_LABELS.get(row.scope, row.scope),
        str(row.entries),
        cents_to_plain(row.amount_cents),
        str(row.returns[Category.OVERALL]),
        str(row.returns[Category.UNAUTHORIZED]),
        str(row.returns[Category.ADMINISTRATIVE]),
        percent(row.rate(Category.OVERALL).rate),
        percent(row.rate(Category.UNAUTHORIZED).rate),
        percent(row.rate(Category.ADMINISTRATIVE).rate),
    ]


def _crossing_cells(crossing: ReturnRateCrossing) -> list[str]:
    return [
        crossing.crossed_on.isoformat(),
        SCOPE_LABELS.get(crossing.scope, crossing.scope),
        crossing.get_category_display(),
        "Threshold" if crossing.level == 100 else f"{crossing.level}%",
        percent(Fraction(crossing.returns, crossing.entries) if crossing.entries else Fraction(0)),
        f"{crossing.returns} of {crossing.entries}",
        crossing.cleared_on.isoformat() if crossing.cleared_on else "",
    ]


def _decision_cells(decision: HoldDecision) -> list[str]:
    return [
        decision.held_on.isoformat(),
        decision.decided_on.isoformat() if decision.decided_on else "",
        _text_cell(decision.customer),
        cents_to_plain(decision.amount_cents),
        decision.rule,
        decision.decision,
        _text_cell(decision.reason),
        _text_cell(decision.decided_by),
    ]


COUNT_HEADER = ["Rule", "Held", "Approved", "Rejected", "Undecided"]


def _count_cells(count: HoldCount) -> list[str]:
    return [count.rule, str(count.placed), str(count.approved), str(count.rejected), str(count.undecided)]


def _text_cell(value: str) -> str:
    """Free text made safe to open in a spreadsheet (as ``invoices/exports.py: text_cell``)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


CROSSING_HEADER = ["Reached", "SEC code", "Returns", "Level", "Rate", "Returned", "Below it again"]
DECISION_HEADER = ["Held", "Decided", "Customer", "Amount", "Rule", "Decision", "Reason", "Decided by"]


def review_rows(review: RiskReview) -> Iterator[list[str]]:
    """The review as CSV rows: a title, then one block per part, each with its own header row."""
    made = timezone.localtime(review.made_at, ZoneInfo(review.biller.time_zone))
    yield [f"Annual ACH risk review {review.year}", _text_cell(review.biller.name)]
    yield ["Made", f"{made:%Y-%m-%d %H:%M}"]
    yield []
    yield ["Monthly debits and returns"]
    yield VOLUME_HEADER
    for row in [*review.months, *review.year_rows]:
        yield _volume_cells(row)
    yield []
    yield ["Return-rate alerts"]
    yield CROSSING_HEADER
    for crossing in review.crossings:
        yield _crossing_cells(crossing)
    yield []
    yield ["Payments held for review"]
    yield DECISION_HEADER
    for decision in review.decisions:
        yield _decision_cells(decision)
    yield []
    yield ["Holds by rule"]
    yield COUNT_HEADER
    for count in review.hold_counts:
        yield _count_cells(count)
    yield []
    yield ["Controls"]
    yield ["Control", "What it does"]
    for name, detail in review.controls:
        yield [name, detail]


# --- PDF -----------------------------------------------------------------------------------------

INK = (17, 24, 39)
SOFT = (75, 85, 99)
HEAD_FILL = (243, 244, 246)


class _ReviewPDF(FPDF):
    def __init__(self, review: RiskReview) -> None:
        super().__init__(orientation="landscape", format="Letter", unit="mm")
        self.review = review
        add_dejavu(self)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)
        self.set_title(f"Annual ACH risk review {review.year}: {review.biller.name}")
        self.set_author(review.biller.name)
        self.set_creator("Remit")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*SOFT)
        self.cell(
            0,
            5,
            f"{self.review.biller.name} · ACH risk review {self.review.year} · Page {self.page_no()}/{{nb}}",
            align="C",
        )


PDF_VOLUME_HEADER = [
    "Month",
    "SEC",
    "Entries",
    "Amount",
    "Returns",
    "Unauthorized",
    "Administrative",
    "Overall rate",
    "Unauthorized rate",
    "Administrative rate",
]


def review_pdf(review: RiskReview) -> bytes:
    pdf = _ReviewPDF(review)
    pdf.add_page()
    made = timezone.localtime(review.made_at, ZoneInfo(review.biller.time_zone))
    pdf.set_font("DejaVu", "B", 16)
    pdf.set_text_color(*INK)
    pdf.cell(0, 9, f"Annual ACH risk review {review.year}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*SOFT)
    pdf.cell(0, 6, f"{review.biller.name} · made {made:%b} {made.day}, {made:%Y %H:%M}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    _heading(pdf, "Debits and returns by month")
    _note(
        pdf,
        "A month's rate: returns received in the month divided by the debit entries sent in it. Thresholds: "
        + ", ".join(f"{c.label.lower()} {percent(THRESHOLDS[c], 1)}" for c in Category)
        + ".",
    )
    volume = [
        [*_volume_cells(row)[:3], format_cents(row.amount_cents), *_volume_cells(row)[4:]] for row in review.months
    ]
    totals = [
        [*_volume_cells(row)[:3], format_cents(row.amount_cents), *_volume_cells(row)[4:]] for row in review.year_rows
    ]
    _table(pdf, PDF_VOLUME_HEADER, volume + totals, widths=(18, 14, 18, 30, 18, 24, 26, 24, 32, 36), numeric_from=2)

    _heading(pdf, "Return-rate alerts")
    if review.crossings:
        _table(
            pdf,
            CROSSING_HEADER,
            [_crossing_cells(c) for c in review.crossings],
            widths=(30, 24, 36, 26, 26, 40, 38),
            numeric_from=3,
        )
    else:
        _note(pdf, "No return rate reached 50% of its threshold this year.")

    _heading(pdf, "Payments held for review")
    if review.decisions:
        rows = [
            [*_decision_cells(d)[:3], format_cents(d.amount_cents), *_decision_cells(d)[4:]] for d in review.decisions
        ]
        _table(pdf, DECISION_HEADER, rows, widths=(22, 22, 36, 24, 44, 22, 54, 30), numeric_from=None)
        _table(
            pdf,
            COUNT_HEADER,
            [_count_cells(c) for c in review.hold_counts],
            widths=(80, 24, 24, 24, 24),
            numeric_from=1,
        )
    else:
        _note(pdf, "No payment was held for review this year.")

    _heading(pdf, "Controls")
    for name, detail in review.controls:
        pdf.set_font("DejaVu", "B", 9)
        pdf.set_text_color(*INK)
        pdf.cell(0, 5, name, new_x="LMARGIN", new_y="NEXT")
        _note(pdf, detail)
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 12)
    pdf.set_text_color(*INK)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")


def _note(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _fitted(pdf: FPDF, text: str, width: float) -> str:
    """``text``, cut short with an ellipsis if it would not fit ``width`` (a name, a reason)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _table(
    pdf: FPDF, header: list[str], rows: list[list[str]], *, widths: tuple[int, ...], numeric_from: int | None
) -> None:
    def line(cells: list[str], *, bold: bool, fill: bool) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", 8)
        pdf.set_text_color(*INK)
        for index, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            align = "R" if numeric_from is not None and index >= numeric_from else "L"
            pdf.cell(width, 6, _fitted(pdf, cell, width - 2), border="B", align=align, fill=fill)
        pdf.ln(6)

    pdf.set_fill_color(*HEAD_FILL)
    line(header, bold=True, fill=True)
    for cells in rows:
        if pdf.will_page_break(6):
            pdf.add_page()
            pdf.set_fill_color(*HEAD_FILL)
            line(header, bold=True, fill=True)
        line(cells, bold=cells[0] == "Year", fill=False)
