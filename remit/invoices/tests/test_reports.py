from datetime import date, timedelta
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from remit.customers.actions import customer_create
from remit.customers.rules import CustomerFields
from remit.invoices.actions import InvoiceDraft, invoice_create, invoice_void
from remit.invoices.models import Invoice
from remit.invoices.reports import AgingBucket, ForecastDay, aging, cash_flow_forecast, dashboard_context
from remit.invoices.totals import Line
from remit.ledger.status import InvoiceStatus
from remit.payments.actions import payment_record_offline
from remit.payments.models import PaymentMethod, PaymentStatus
from remit.test import ach_payment_rows, make_biller

pytestmark = pytest.mark.django_db

# A past date, so payments "received" before it can be recorded whatever the real date is.
TODAY = date(2026, 6, 15)


def new_customer(biller, name="Globex Corporation"):
    fields = CustomerFields(name=name, billing_emails=[f"ap@{name.split()[0].lower()}.example"])
    return customer_create(biller=biller, actor=None, fields=fields)


def new_invoice(customer, *, due, cents=10_000):
    draft = InvoiceDraft(
        customer=customer,
        issue_date=due - timedelta(days=30),
        terms="custom",
        due_date=due,
        lines=[Line("Widgets", Decimal(1), cents)],
    )
    return invoice_create(biller=customer.biller, actor=None, draft=draft)


def past_due(customer, days, cents=10_000):
    return new_invoice(customer, due=TODAY - timedelta(days=days), cents=cents)


def record_payment(invoice, cents):
    received_on = min(invoice.issue_date, TODAY)  # never in the future, which the action refuses
    payment_record_offline(
        invoice=invoice, actor=None, amount_cents=cents, method=PaymentMethod.CHECK, received_on=received_on
    )


def schedule_payment(invoice, *, pay_on, cents, autopay=False, status=PaymentStatus.SCHEDULED):
    # Fixed calendar dates (holidays) and statuses the actions can't reach yet: written as rows.
    return ach_payment_rows(invoice.customer, [(invoice, cents)], pay_on=pay_on, status=status, is_autopay=autopay)


def by_key(buckets):
    return {bucket.key: (bucket.invoice_count, bucket.total_cents) for bucket in buckets}


# --- Aging -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-10, "current"),
        (0, "current"),  # due today is not yet late
        (1, "1_30"),
        (30, "1_30"),
        (31, "31_60"),
        (60, "31_60"),
        (61, "61_90"),
        (90, "61_90"),
        (91, "90_plus"),
        (400, "90_plus"),
    ],
)
def test_it_puts_an_invoice_in_the_bucket_of_its_days_past_due(days_past_due, bucket):
    biller, _ = make_biller()
    past_due(new_customer(biller), days_past_due, cents=12_345)
    buckets = by_key(aging(biller=biller, today=TODAY))
    assert buckets.pop(bucket) == (1, 12_345)
    assert set(buckets.values()) == {(0, 0)}


def test_buckets_come_in_order_with_their_labels():
    biller, _ = make_biller()
    assert [(b.key, b.label) for b in aging(biller=biller, today=TODAY)] == [
        ("current", "Current"),
        ("1_30", "1–30"),
        ("31_60", "31–60"),
        ("61_90", "61–90"),
        ("90_plus", "90+"),
    ]


def test_a_partially_paid_invoice_counts_by_its_balance():
    biller, _ = make_biller()
    invoice = past_due(new_customer(biller), 45, cents=50_000)
    record_payment(invoice, 20_000)
    [bucket] = [bucket for bucket in aging(biller=biller, today=TODAY) if bucket.key == "31_60"]
    assert (bucket.invoice_count, bucket.total_cents) == (1, 30_000)
    assert type(bucket.total_cents) is int  # not a Decimal, as SUM gives on PostgreSQL


def test_money_scheduled_but_not_cleared_still_counts_as_owed():
    biller, _ = make_biller()
    invoice = past_due(new_customer(biller), 5, cents=50_000)
    schedule_payment(invoice, pay_on=TODAY + timedelta(days=3), cents=50_000)
    assert by_key(aging(biller=biller, today=TODAY))["1_30"] == (1, 50_000)


def test_void_and_paid_invoices_are_left_out():
    biller, _ = make_biller()
    customer = new_customer(biller)
    invoice_void(invoice=past_due(customer, 10), actor=None, reason="Sent in error")
    record_payment(past_due(customer, 10, cents=7_000), 7_000)
    kept = past_due(customer, 10, cents=3_000)
    assert by_key(aging(biller=biller, today=TODAY))["1_30"] == (1, 3_000)
    assert kept.status_on(TODAY) == InvoiceStatus.OVERDUE


def test_another_billers_invoices_never_count():
    biller, _ = make_biller()
    other, _ = make_biller()
    past_due(new_customer(other), 10)
    past_due(new_customer(other), -5)
    assert set(by_key(aging(biller=biller, today=TODAY)).values()) == {(0, 0)}
    assert by_key(aging(biller=other, today=TODAY))["1_30"] == (1, 10_000)


def test_the_buckets_add_up_to_what_each_outstanding_invoice_says_it_owes():
    """The SQL report agrees with the Python amounts of every invoice, one by one."""
    biller, _ = make_biller()
    customer = new_customer(biller)
    for days, cents, paid in [(-3, 1_000, 0), (0, 2_000, 500), (30, 3_000, 3_000), (75, 4_000, 1), (200, 5_000, 0)]:
        invoice = past_due(customer, days, cents=cents)
        if paid:
            record_payment(invoice, paid)
    invoice_void(invoice=past_due(customer, 20), actor=None, reason="Duplicate")
    outstanding = [
        invoice
        for invoice in Invoice.objects.filter(biller=biller)
        if invoice.status_on(TODAY) not in {InvoiceStatus.PAID, InvoiceStatus.VOID}
    ]
    buckets = aging(biller=biller, today=TODAY)
    assert sum(b.total_cents for b in buckets) == sum(invoice.balance_cents for invoice in outstanding) == 11_499
    assert sum(b.invoice_count for b in buckets) == len(outstanding) == 4


# --- Cash-flow forecast -----------------------------------------------------------------------


def expected(forecast):
    return {day.day: (day.total_cents, day.autopay_cents) for day in forecast if day.total_cents}


def test_the_forecast_lists_every_banking_day_of_the_next_30_days_with_zeros():
    biller, _ = make_biller()
    forecast = cash_flow_forecast(biller=biller, today=date(2026, 11, 23))
    days = [day.day for day in forecast]
    assert days[0] == date(2026, 11, 23) and days[-1] == date(2026, 12, 22)
    assert date(2026, 11, 26) not in days  # Thanksgiving
    assert date(2026, 11, 28) not in days and date(2026, 11, 29) not in days  # the weekend
    assert len(days) == 21
    assert all(day == ForecastDay(day=day.day, total_cents=0, autopay_cents=0) for day in forecast)


def test_payments_count_on_the_banking_day_the_money_arrives():
    biller, _ = make_biller()
    customer = new_customer(biller)
    invoice = new_invoice(customer, due=date(2026, 12, 31), cents=100_000)
    schedule_payment(invoice, pay_on=date(2026, 11, 26), cents=10_000)  # Thanksgiving: the Friday after
    schedule_payment(invoice, pay_on=date(2026, 11, 28), cents=5_000, autopay=True)  # Saturday: Monday
    schedule_payment(invoice, pay_on=date(2026, 12, 1), cents=20_000, status=PaymentStatus.SENT)
    schedule_payment(invoice, pay_on=date(2026, 12, 1), cents=3_000, autopay=True)
    schedule_payment(invoice, pay_on=date(2026, 12, 22), cents=700)  # the last day of the window
    schedule_payment(invoice, pay_on=date(2026, 12, 23), cents=800)  # after it
    forecast = cash_flow_forecast(biller=biller, today=date(2026, 11, 23))
    assert expected(forecast) == {
        date(2026, 11, 27): (10_000, 0),
        date(2026, 11, 30): (5_000, 5_000),
        date(2026, 12, 1): (23_000, 3_000),
        date(2026, 12, 22): (700, 0),
    }
    assert all(type(day.total_cents) is type(day.autopay_cents) is int for day in forecast)  # not Decimal


def test_christmas_and_new_year_roll_forward():
    biller, _ = make_biller()
    invoice = new_invoice(new_customer(biller), due=date(2027, 1, 31), cents=100_000)
    schedule_payment(invoice, pay_on=date(2026, 12, 25), cents=1_000, autopay=True)  # Friday, Christmas
    schedule_payment(invoice, pay_on=date(2027, 1, 1), cents=2_000)  # Friday, New Year's Day
    schedule_payment(invoice, pay_on=date(2027, 1, 18), cents=4_000)  # Martin Luther King Jr. Day
    forecast = cash_flow_forecast(biller=biller, today=date(2026, 12, 21))
    assert forecast[-1].day == date(2027, 1, 19)
    assert expected(forecast) == {
        date(2026, 12, 28): (1_000, 1_000),
        date(2027, 1, 4): (2_000, 0),
        date(2027, 1, 19): (4_000, 0),
    }


def test_closed_days_just_before_today_roll_into_today_and_earlier_days_do_not():
    biller, _ = make_biller()
    invoice = new_invoice(new_customer(biller), due=date(2026, 12, 31), cents=100_000)
    schedule_payment(invoice, pay_on=date(2026, 11, 20), cents=1_000)  # last Friday: past
    schedule_payment(invoice, pay_on=date(2026, 11, 22), cents=2_000)  # Sunday: settles today
    forecast = cash_flow_forecast(biller=biller, today=date(2026, 11, 23))
    assert expected(forecast) == {date(2026, 11, 23): (2_000, 0)}


def test_on_a_holiday_the_forecast_starts_the_next_banking_day():
    biller, _ = make_biller()
    invoice = new_invoice(new_customer(biller), due=date(2026, 12, 31), cents=100_000)
    schedule_payment(invoice, pay_on=date(2026, 11, 26), cents=1_000)
    schedule_payment(invoice, pay_on=date(2026, 11, 25), cents=9_000)  # yesterday: past
    forecast = cash_flow_forecast(biller=biller, today=date(2026, 11, 26))
    assert forecast[0].day == date(2026, 11, 27)
    assert expected(forecast) == {date(2026, 11, 27): (1_000, 0)}


def test_a_weekend_at_the_end_of_the_window_rolls_out_of_it():
    biller, _ = make_biller()
    invoice = new_invoice(new_customer(biller), due=date(2026, 12, 31), cents=100_000)
    schedule_payment(invoice, pay_on=date(2026, 12, 19), cents=1_000)  # Saturday, the 30th day
    forecast = cash_flow_forecast(biller=biller, today=date(2026, 11, 20))
    assert forecast[-1].day == date(2026, 12, 18)
    assert expected(forecast) == {}


def test_only_money_in_flight_for_this_biller_counts():
    biller, _ = make_biller()
    other, _ = make_biller()
    invoice = new_invoice(new_customer(biller), due=date(2026, 12, 31), cents=100_000)
    for status in (PaymentStatus.SETTLED, PaymentStatus.RETURNED, PaymentStatus.CANCELLED):
        schedule_payment(invoice, pay_on=date(2026, 12, 1), cents=1_000, status=status)
    schedule_payment(new_invoice(new_customer(other), due=date(2026, 12, 31)), pay_on=date(2026, 12, 1), cents=500)
    assert expected(cash_flow_forecast(biller=biller, today=date(2026, 11, 23))) == {}
    assert expected(cash_flow_forecast(biller=other, today=date(2026, 11, 23))) == {date(2026, 12, 1): (500, 0)}


# --- The dashboard -------------------------------------------------------------------------------


def test_dashboard_context_gives_the_partial_everything_it_needs():
    biller, _ = make_biller()
    customer = new_customer(biller)
    past_due(customer, 10, cents=25_000)
    past_due(customer, 100, cents=75_000)
    today = date(2026, 11, 23)
    schedule_payment(
        new_invoice(customer, due=date(2026, 12, 31)), pay_on=date(2026, 11, 28), cents=4_000, autopay=True
    )
    context = dashboard_context(biller=biller, today=today)
    assert set(context) == {
        "aging",
        "aging_total",
        "aging_svg",
        "forecast",
        "forecast_total",
        "forecast_svg",
        "unapplied_credit_cents",
        "aging_net_cents",
    }
    assert context["aging_total"] == AgingBucket(key="total", label="Total", total_cents=110_000, invoice_count=3)
    assert (context["forecast_total"].total_cents, context["forecast_total"].autopay_cents) == (4_000, 4_000)
    for name in ("aging_svg", "forecast_svg"):
        ET.fromstring(context[name])

    html = render_to_string("console/_receivables.html", context)
    assert "Receivables aging" in html and "Cash flow forecast (next 30 days)" in html
    assert html.count("<svg") == 2 and "style=" not in html and "<script" not in html
    assert "$1,100.00" in html  # the aging total
    assert "Mon, Nov 30" in html and "$40.00" in html  # the Saturday payment, on the Monday


def test_dashboard_context_with_nothing_yet():
    biller, _ = make_biller()
    context = dashboard_context(biller=biller, today=TODAY)
    assert context["aging_total"].total_cents == 0
    assert "No outstanding invoices" in context["aging_svg"]
    assert "Nothing expected yet" in context["forecast_svg"]
    render_to_string("console/_receivables.html", context)


def count_queries(biller, today):
    with CaptureQueriesContext(connection) as queries:
        dashboard_context(biller=biller, today=today)
    return len(queries)


def test_the_dashboard_costs_the_same_queries_for_10_invoices_as_for_1000():
    biller, _ = make_biller()
    customer = new_customer(biller)
    today = date(2026, 11, 23)

    def add_invoices(count):
        for index in range(count):
            invoice = new_invoice(customer, due=today + timedelta(days=index % 150 - 100), cents=1_000 + index)
            if index % 7 == 0:
                record_payment(invoice, 500)
            if index % 11 == 0:
                schedule_payment(invoice, pay_on=today + timedelta(days=index % 30), cents=100, autopay=index % 2 == 0)

    add_invoices(10)
    few = count_queries(biller, today)
    add_invoices(990)
    assert Invoice.objects.filter(biller=biller).count() == 1_000
    assert count_queries(biller, today) == few == 3  # one per report, and one for unapplied credit


def test_credits_lower_the_aging_and_unapplied_credit_is_a_negative_line():
    from remit.payments.credits import credit_issue

    biller, _ = make_biller()
    customer = new_customer(biller)
    late = past_due(customer, 10, cents=10_000)
    past_due(customer, 40, cents=5_000)
    credit_issue(biller=biller, customer=customer, amount_cents=2_500, reason="Damaged", invoice=late, actor=None)
    credit_issue(biller=biller, customer=customer, amount_cents=1_200, reason="Goodwill", actor=None)
    buckets = by_key(aging(biller=biller, today=TODAY))
    assert buckets["1_30"] == (1, 7_500) and buckets["31_60"] == (1, 5_000)
    context = dashboard_context(biller=biller, today=TODAY)
    assert (context["unapplied_credit_cents"], context["aging_net_cents"]) == (1_200, 11_300)
    html = render_to_string("console/_receivables.html", context)
    assert "Unapplied credits" in html and "−$12.00" in html and "$113.00" in html
