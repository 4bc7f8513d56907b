"""The return rates read from the database: entries counted on the day their file was written,
returns on the day they were imported (both in the biller's time zone), only the biller's own,
only the returns that stand, in a number of queries that does not grow with the entries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.models import AchReturn
from remit.ach.return_rate_data import daily_counts, local_today, return_rate_trend, return_rates
from remit.ach.return_rates import ALL, Category
from remit.ach.returns import ach_import_returns
from remit.ach.stored import file_text
from remit.ach.tests.rates_data import originate, return_entries
from remit.ach.tests.test_export import ach_fields
from remit.payments.models import Payment, PaymentStatus
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice, make_portal_user, soonest_pay_on

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


@pytest.fixture
def acme():
    biller, _ = make_biller("Acme Supply Co.")
    return biller, make_customer(biller, "Globex")


def by_scope(biller, day=TODAY):
    return {f.scope: f for f in return_rates(biller, day=day)}


def test_rates_of_entries_exported_and_returns_imported(run_on_commit):
    acme, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=acme, actor=owner, fields=ach_fields())
    customer = make_customer(acme, "Globex", email="ap@globex.example")
    make_portal_user(customer, email="ap@globex.example")
    pay_on = soonest_pay_on(acme)
    payments = []
    for n in range(4):
        invoice = make_invoice(customer, amount_cents=1000 + n, number=f"G-{n}")
        payments.append(ach_payment_rows(customer, [(invoice, invoice.total_cents)], pay_on=pay_on))
    with run_on_commit(execute=True):
        result = ach_export(biller=acme, effective_date=pay_on)
    assert result.file is not None
    returned = Payment.objects.get(pk=payments[0].pk)
    text = returns_for(
        file_text(result.file),
        today=timezone.localdate(),
        returns={returned.ach_entry.trace_number: "R10"},
    )
    ach_import_returns(text=text, filename="returns.ach", biller=acme)

    every = by_scope(acme, day=local_today(acme))[ALL]
    assert every.entries == 4
    assert every.rate(Category.UNAUTHORIZED).rate == Fraction(1, 4)
    assert every.rate(Category.ADMINISTRATIVE).returns == 0
    assert every.rate(Category.OVERALL).returns == 1


def test_entries_and_returns_fall_on_their_days_in_the_window(acme):
    biller, customer = acme
    old = originate(biller, customer, day=TODAY - timedelta(days=60), entries=5)  # the day before the window
    recent = originate(biller, customer, day=TODAY - timedelta(days=59), entries=10)  # its first day
    return_entries(old[:2], "R01", day=TODAY - timedelta(days=3), biller=biller)  # counted: received in it
    return_entries(recent[:1], "R02", day=TODAY + timedelta(days=1), biller=biller)  # not yet

    every = by_scope(biller)[ALL]
    assert every.entries == 10
    assert every.rate(Category.OVERALL).returns == 2
    assert every.rate(Category.ADMINISTRATIVE).returns == 0


def test_days_are_the_billers_own(acme):
    biller, customer = acme
    biller.time_zone = "America/Los_Angeles"
    biller.save()
    entries = originate(biller, customer, day=TODAY, entries=4)
    return_entries(entries[:1], "R03", day=TODAY, biller=biller)
    # Imported at 23:30 in Los Angeles on June 30: already July 1 in UTC.
    AchReturn.objects.update(created_at=datetime(2026, 7, 1, 6, 30, tzinfo=UTC))
    counts = daily_counts(biller, first=TODAY, last=TODAY)
    assert counts.returns == {(TODAY, "WEB", "R03"): 1}


def test_sec_codes_are_counted_apart(acme):
    biller, customer = acme
    web = originate(biller, customer, day=TODAY, entries=8, sec_code="WEB")
    ccd = originate(biller, customer, day=TODAY, entries=2, sec_code="CCD")
    return_entries(web[:1], "R05", day=TODAY, biller=biller)
    return_entries(ccd[:1], "R29", day=TODAY, biller=biller)

    scopes = by_scope(biller)
    assert scopes["WEB"].rate(Category.UNAUTHORIZED).rate == Fraction(1, 8)
    assert scopes["CCD"].rate(Category.UNAUTHORIZED).rate == Fraction(1, 2)
    assert scopes[ALL].rate(Category.UNAUTHORIZED).rate == Fraction(2, 10)


def test_another_billers_entries_are_not_counted(acme):
    biller, customer = acme
    other, _ = make_biller("Initech")
    theirs = originate(other, make_customer(other, "Someone"), day=TODAY, entries=5)
    return_entries(theirs, "R10", day=TODAY, biller=other)
    originate(biller, customer, day=TODAY, entries=3)

    every = by_scope(biller)[ALL]
    assert every.entries == 3
    assert every.rate(Category.OVERALL).returns == 0


def test_a_dishonored_return_that_restored_the_payment_is_not_counted(acme):
    biller, customer = acme
    entries = originate(biller, customer, day=TODAY, entries=4)
    return_entries(entries[:2], "R10", day=TODAY, biller=biller)
    Payment.objects.filter(pk=entries[0].payment_id).update(status=PaymentStatus.SETTLED)  # as a dishonor restores

    assert by_scope(biller)[ALL].rate(Category.UNAUTHORIZED).returns == 1


def test_trend_reads_in_a_few_queries_however_many_entries(acme):
    biller, customer = acme
    for n in range(0, 150, 10):
        entries = originate(biller, customer, day=TODAY - timedelta(days=n), entries=3)
        return_entries(entries[:1], "R01", day=TODAY - timedelta(days=n), biller=biller)

    with CaptureQueriesContext(connection) as queries:
        trend = return_rate_trend(biller, day=TODAY)
    assert len(queries) == 2
    assert [f.day for f in trend[ALL]][-1] == TODAY and len(trend[ALL]) == 90
    # On each day the window holds 6 files of 3 entries (every tenth day of 60), each with one return.
    assert trend[ALL][-1].entries == 18
    assert trend[ALL][-1].rate(Category.OVERALL).rate == Fraction(1, 3)
