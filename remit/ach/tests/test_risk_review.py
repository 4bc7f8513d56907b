"""The annual risk review: monthly debits and returns per SEC code with their rates, the year's
totals, the alerts of the year, the holds placed in it with their decisions and counted by rule, the
controls (the switches and risk rules in force); as CSV and as a PDF."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import transaction

from remit.ach.models import ReturnRateCrossing
from remit.ach.return_rate_alerts import return_rates_check
from remit.ach.return_rates import Category
from remit.ach.risk_review import controls, hold_decisions, review_pdf, review_rows, risk_review
from remit.ach.tests.rates_data import originate, return_entries
from remit.customers.models import Customer
from remit.payments.holds import payment_hold_decide, payment_hold_place
from remit.payments.risk_rules import RiskSettings
from remit.payments.risk_settings import risk_rules_save
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice
from remit.users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    with time_machine.travel("2026-06-30 12:00-04:00", tick=False):
        biller, _ = make_biller("Acme Supply Co.")
        customer = make_customer(biller, "Globex")
        web = originate(biller, customer, day=date(2026, 3, 10), entries=40, amount_cents=2500)
        ccd = originate(biller, customer, day=date(2026, 3, 31), entries=10, amount_cents=10000, sec_code="CCD")
        originate(biller, customer, day=date(2025, 12, 31), entries=7)  # last year
        return_entries(web[:2], "R10", day=date(2026, 3, 12), biller=biller)
        return_entries(web[2:3], "R01", day=date(2026, 4, 2), biller=biller)  # received in April
        return_entries(ccd[:1], "R03", day=date(2026, 3, 31), biller=biller)
        return_rates_check(biller=biller, day=date(2026, 3, 31))
        yield biller


def test_months_per_sec_code_with_rates(acme):
    with time_machine.travel("2026-06-30 12:00-04:00", tick=False):
        review = risk_review(acme, year=2026)
    months = {(row.month, row.scope): row for row in review.months}
    assert len(review.months) == 6 * 3  # January to June (today), WEB, CCD and all
    march_web = months[(date(2026, 3, 1), "WEB")]
    assert (march_web.entries, march_web.amount_cents) == (40, 100_000)
    assert march_web.returns == {Category.UNAUTHORIZED: 2, Category.ADMINISTRATIVE: 0, Category.OVERALL: 2}
    assert march_web.rate(Category.UNAUTHORIZED).rate * 100 == 5
    march_all = months[(date(2026, 3, 1), "all")]
    assert (march_all.entries, march_all.amount_cents) == (50, 200_000)
    assert march_all.returns[Category.ADMINISTRATIVE] == 1
    april_web = months[(date(2026, 4, 1), "WEB")]
    assert (april_web.entries, april_web.returns[Category.OVERALL]) == (0, 1)
    year = {row.scope: row for row in review.year_rows}
    assert (year["all"].entries, year["all"].returns[Category.OVERALL]) == (50, 4)


def test_alerts_of_the_year_are_listed(acme):
    review = risk_review(acme, year=2026)
    assert review.crossings and all(c.crossed_on == date(2026, 3, 31) for c in review.crossings)
    assert len(review.crossings) == ReturnRateCrossing.objects.count()
    assert risk_review(acme, year=2025).crossings == []


def test_csv_has_every_part(acme):
    with time_machine.travel("2026-06-30 12:00-04:00", tick=False):
        rows = list(review_rows(risk_review(acme, year=2026)))
    assert rows[0] == ["Annual ACH risk review 2026", "Acme Supply Co."]
    titles = [row[0] for row in rows if len(row) == 1]
    assert titles == [
        "Monthly debits and returns",
        "Return-rate alerts",
        "Payments held for review",
        "Holds by rule",
        "Controls",
    ]
    assert ["2026-03", "WEB", "40", "1000.00", "2", "2", "0", "5.00%", "5.00%", "0.00%"] in rows
    assert ["2026-03", "CCD", "10", "1000.00", "1", "0", "1", "10.00%", "0.00%", "10.00%"] in rows
    assert ["Year", "All", "50", "2000.00", "4", "2", "1", "8.00%", "4.00%", "2.00%"] in rows
    assert ["2026-03-31", "WEB", "Unauthorized", "Threshold", "5.00%", "2 of 40", ""] in rows
    assert rows[rows.index(["Payments held for review"]) + 1][:2] == ["Held", "Decided"]
    assert rows[rows.index(["Payments held for review"]) + 2] == []  # none yet


def test_hold_decisions_are_empty_without_holds(acme):
    assert hold_decisions(acme, year=2026) == []


def held(biller, customer, *, rule_code, amount_cents=5000):
    payment = ach_payment_rows(
        customer, [(make_invoice(customer, amount_cents=amount_cents), amount_cents)], pay_on=date(2026, 7, 6)
    )
    with transaction.atomic():
        return payment_hold_place(payment=payment, rule_code=rule_code, reason="Reason in words.")


@pytest.fixture
def holds(acme):
    owner = User.objects.get(memberships__biller=acme)
    customer = Customer.objects.get(biller=acme)
    with time_machine.travel("2025-12-31 12:00-05:00", tick=False):
        held(acme, customer, rule_code="new_account")  # last year's
    with time_machine.travel("2026-06-30 12:00-04:00", tick=False):
        approved = held(acme, customer, rule_code="new_account,shared_account", amount_cents=300_000)
        payment_hold_decide(hold=approved, actor=owner, decision="approved", reason="Called them")
        rejected = held(acme, customer, rule_code="unusual_amount")
        payment_hold_decide(hold=rejected, actor=owner, decision="rejected", reason="Not theirs")
        held(acme, customer, rule_code="over_payment_limit")
    return owner


def test_the_years_holds_their_decisions_and_counts_by_rule(acme, holds):
    decisions = hold_decisions(acme, year=2026)
    assert [(d.rule, d.decision, d.decided_by) for d in decisions] == [
        ("First debit from a new account, One account at several customers", "Approved", holds.email),
        ("Far above the customer's usual", "Rejected", holds.email),
        ("Above the limit per payment", "Undecided", ""),
    ]
    assert decisions[0].held_on == decisions[0].decided_on == date(2026, 6, 30)
    assert decisions[0].amount_cents == 300_000 and decisions[0].customer == "Globex"
    with time_machine.travel("2026-06-30 12:00-04:00", tick=False):
        review = risk_review(acme, year=2026)
        rows = list(review_rows(review))
    assert [(c.rule, c.placed, c.approved, c.rejected, c.undecided) for c in review.hold_counts] == [
        ("First debit from a new account", 1, 1, 0, 0),
        ("Far above the customer's usual", 1, 0, 1, 0),
        ("One account at several customers", 1, 1, 0, 0),
        ("Above the limit per payment", 1, 0, 0, 1),
    ]
    assert ["First debit from a new account", "1", "1", "0", "0"] in rows
    assert [
        "2026-06-30",
        "2026-06-30",
        "Globex",
        "50.00",
        "Far above the customer's usual",
        "Rejected",
        "Not theirs",
        holds.email,
    ] in rows
    assert len(hold_decisions(acme, year=2025)) == 1


def test_the_controls_name_the_rules_in_force_with_their_parameters(acme):
    owner = User.objects.get(memberships__biller=acme)
    risk_rules_save(
        biller=acme, actor=owner, rules=RiskSettings(new_account_above_cents=100_000, shared_account_on=False)
    )
    found = dict(controls(acme))
    assert found["Risk rule: First debit from a new account"] == (
        "The first debit from an account above $1,000.00 is held for review before it goes in a file."
    )
    assert found["Risk rule: One account at several customers"] == "Off."
    assert "within 7 days before its Pay On" in found["Risk rule: Account changed shortly before an Auto Pay debit"]
    assert "more than 3× the median" in found["Risk rule: Far above the customer's usual"]
    assert "3 or more accounts" in found["Risk rule: Many accounts added in a day"]
    assert "ACH payments accepted" in found["Payment switches"]


def test_pdf_lists_the_holds(acme, holds):
    import io

    from pypdf import PdfReader

    with time_machine.travel("2026-06-30 12:00-04:00", tick=False):
        pdf = review_pdf(risk_review(acme, year=2026))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Not theirs" in text and "Undecided" in text and "Risk rule: First debit from a new account" in text


def test_pdf_is_a_pdf(acme):
    with time_machine.travel("2026-06-30 12:00-04:00", tick=False):
        pdf = review_pdf(risk_review(acme, year=2026))
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 5000


def test_pdf_says_what_the_csv_says(acme):
    import io

    from pypdf import PdfReader

    with time_machine.travel("2026-06-30 12:00-04:00", tick=False):
        pdf = review_pdf(risk_review(acme, year=2026))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Annual ACH risk review 2026" in text
    assert "Acme Supply Co." in text
    assert "$1,000.00" in text and "5.00%" in text
    assert "Return-rate alerts" in text and "Threshold" in text
    assert "No payment was held for review this year." in text
    assert "Return-rate monitoring" in text
