"""The owners are emailed when a return rate reaches 50%, 80% or 100% of its NACHA threshold: at
every level of every threshold, once per crossing (a second check emails nothing; falling below
and reaching the level again emails again), through the outbox, to the owners only."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta
from email.message import EmailMessage
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from remit.ach.actions import ach_settings_save
from remit.ach.models import ReturnRateCrossing
from remit.ach.return_rate_alerts import return_rates_check
from remit.ach.tasks import ach_return_rates_check
from remit.ach.tests.rates_data import originate, return_entries
from remit.ach.tests.test_export import ach_fields
from remit.billers.models import Role
from remit.notifications.models import OutboundEmail
from remit.test import make_biller, make_customer, make_staff, parts

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)
CODES = {"unauthorized": "R10", "administrative": "R02", "overall": "R01"}
THRESHOLD_TEXT = {"unauthorized": "0.5%", "administrative": "3.0%", "overall": "15.0%"}

# Every level of every threshold, at its boundary: (category, entries, returns, level reached).
BOUNDARIES = [
    ("unauthorized", 400, 1, 50),  # 0.25% = 50% of 0.5%
    ("unauthorized", 250, 1, 80),  # 0.40%
    ("unauthorized", 200, 1, 100),  # 0.50%
    ("administrative", 200, 3, 50),  # 1.5% = 50% of 3%
    ("administrative", 125, 3, 80),  # 2.4%
    ("administrative", 100, 3, 100),  # 3%
    ("overall", 40, 3, 50),  # 7.5% = 50% of 15%
    ("overall", 25, 3, 80),  # 12%
    ("overall", 20, 3, 100),  # 15%
]


@pytest.fixture
def acme():
    biller, owner = make_biller("Acme Supply Co.", owner_email="owner@acme.example")
    return biller, make_customer(biller, "Globex"), owner


def emails() -> list[EmailMessage]:
    rows = OutboundEmail.objects.order_by("pk")
    return [email.message_from_bytes(bytes(row.raw), policy=email.policy.default) for row in rows]


def alerts() -> list[EmailMessage]:
    return [m for m in emails() if "threshold" in str(m["Subject"])]


def crossings(**filters) -> set[tuple[str, str, int]]:
    rows = ReturnRateCrossing.objects.filter(cleared_on__isnull=True, **filters)
    return set(rows.values_list("scope", "category", "level"))


@pytest.mark.parametrize(("category", "entries", "returns", "level"), BOUNDARIES)
def test_owner_is_emailed_at_each_level_of_each_threshold(acme, category, entries, returns, level):
    biller, customer, _ = acme
    sent = originate(biller, customer, day=TODAY - timedelta(days=10), entries=entries)
    return_entries(sent[:returns], CODES[category], day=TODAY, biller=biller)

    result = return_rates_check(biller=biller, day=TODAY)

    reached = {lv for lv in (50, 80, 100) if lv <= level}
    assert crossings(category=category) == {(scope, category, lv) for scope in ("all", "WEB") for lv in reached}
    assert [(a.scope, a.level) for a in result.alerts if a.rate.category == category] == [
        ("all", level),
        ("WEB", level),
    ]
    [message] = alerts()
    assert message["To"] == "owner@acme.example"
    text = parts(message)["text/plain"]
    if level == 100:
        assert "over NACHA's threshold" in str(message["Subject"])
    else:
        assert f"reached {level}% of NACHA's threshold" in str(message["Subject"])
    assert f"{level}% of" in text
    html = parts(message)["text/html"]
    assert f"{level}% of {THRESHOLD_TEXT[category]}</td>" in html
    assert f"/console/{biller.slug}/ach/return-rates/" in html
    assert "WEB (consumer, online)" not in text, "the WEB line would only repeat the all-codes line"


@pytest.mark.parametrize(("category", "entries", "returns", "level"), BOUNDARIES)
def test_just_below_a_level_it_is_not_reached(acme, category, entries, returns, level):
    biller, customer, _ = acme
    sent = originate(biller, customer, day=TODAY, entries=entries + 1)
    return_entries(sent[:returns], CODES[category], day=TODAY, biller=biller)

    return_rates_check(biller=biller, day=TODAY)

    assert all(lv < level for _, _, lv in crossings(category=category))


def test_checking_again_emails_nothing(acme):
    biller, customer, _ = acme
    sent = originate(biller, customer, day=TODAY, entries=20)
    return_entries(sent[:3], "R01", day=TODAY, biller=biller)
    return_rates_check(biller=biller, day=TODAY)
    again = return_rates_check(biller=biller, day=TODAY)
    later = return_rates_check(biller=biller, day=TODAY + timedelta(days=1))

    assert again.alerts == [] and later.alerts == []
    assert len(alerts()) == 1
    assert ReturnRateCrossing.objects.count() == 6  # all and WEB, at 50, 80 and 100


def test_a_rising_rate_emails_at_each_new_level(acme):
    biller, customer, _ = acme
    sent = originate(biller, customer, day=TODAY - timedelta(days=5), entries=100)
    subjects = []
    for day, returned in (
        (TODAY - timedelta(days=2), sent[:8]),
        (TODAY - timedelta(days=1), sent[8:12]),
        (TODAY, sent[12:15]),
    ):
        return_entries(returned, "R01", day=day, biller=biller)
        return_rates_check(biller=biller, day=day)
        subjects.append(str(alerts()[-1]["Subject"]))
    # 8% (50%), then 12% (80%), then 15% (100%)
    assert [s.split(":")[0] for s in subjects] == [
        "A return rate reached 50% of NACHA's threshold",
        "A return rate reached 80% of NACHA's threshold",
        "A return rate is over NACHA's threshold",
    ]
    assert len(alerts()) == 3


def test_falling_below_and_reaching_again_emails_again(acme):
    biller, customer, _ = acme
    sent = originate(biller, customer, day=TODAY, entries=20)
    return_entries(sent[:3], "R01", day=TODAY, biller=biller)  # 15% overall
    return_rates_check(biller=biller, day=TODAY)

    # 60 days on, the window no longer holds them: every level is cleared, nobody emailed.
    quiet_day = TODAY + timedelta(days=60)
    quiet = return_rates_check(biller=biller, day=quiet_day)
    assert quiet.cleared == 6 and quiet.alerts == []
    assert crossings() == set()
    assert ReturnRateCrossing.objects.filter(cleared_on=quiet_day).count() == 6

    more = originate(biller, customer, day=quiet_day + timedelta(days=1), entries=40)
    return_entries(more[:3], "R01", day=quiet_day + timedelta(days=1), biller=biller)  # 7.5%: 50% again
    again = return_rates_check(biller=biller, day=quiet_day + timedelta(days=1))

    assert [(a.scope, a.level) for a in again.alerts] == [("all", 50), ("WEB", 50)]
    assert len(alerts()) == 2
    assert ReturnRateCrossing.objects.filter(category="overall", level=50).count() == 4  # 2 closed, 2 open


def test_only_one_crossing_of_a_level_is_open_at_a_time(acme):
    biller, customer, _ = acme
    sent = originate(biller, customer, day=TODAY, entries=20)
    return_entries(sent[:3], "R01", day=TODAY, biller=biller)
    return_rates_check(biller=biller, day=TODAY)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnRateCrossing.objects.create(
            biller=biller, scope="all", category="overall", level=50, crossed_on=TODAY, entries=1, returns=1
        )


def test_staff_are_not_emailed_and_each_scope_is_named(acme):
    biller, customer, _ = acme
    make_staff(biller, email="clerk@acme.example")
    make_staff(biller, email="second-owner@acme.example", role=Role.OWNER)
    web = originate(biller, customer, day=TODAY, entries=300, sec_code="WEB")
    ccd = originate(biller, customer, day=TODAY, entries=4, sec_code="CCD")
    return_entries(ccd[:1], "R29", day=TODAY, biller=biller)  # CCD: 25%; all: 1 of 304 = 0.33% (60%)
    del web

    result = return_rates_check(biller=biller, day=TODAY)

    assert {(a.scope, a.level) for a in result.alerts if a.rate.category == "unauthorized"} == {
        ("all", 50),
        ("CCD", 100),
    }
    [message] = alerts()
    assert sorted(str(message["To"]).split(", ")) == ["owner@acme.example", "second-owner@acme.example"]
    text = parts(message)["text/plain"]
    assert "All SEC codes, unauthorized returns" in text
    assert "CCD (business), unauthorized returns (R05, R07, R10, R11, R29, R51): 25.00% (1 of 4 debits)" in text


def test_the_command_prints_the_rates_and_checks(acme):
    biller, customer, owner = acme
    ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
    sent = originate(biller, customer, day=TODAY, entries=200)
    return_entries(sent[:1], "R10", day=TODAY, biller=biller)

    out = StringIO()
    with time_machine.travel("2026-06-30 18:00-04:00", tick=False):
        call_command("ach", "return-rates", "--biller", biller.slug, stdout=out)
    lines = out.getvalue().splitlines()

    assert lines[0] == f"{biller.slug}: return rates over the 60 days to 2026-06-30"
    header = ["SEC", "code", "Category", "Returns", "Entries", "Rate", "Threshold", "Of", "threshold", "Status"]
    assert lines[1].split() == header
    assert lines[2].split() == ["all", "Unauthorized", "1", "200", "0.50%", "0.5%", "100%", "Over", "the", "threshold"]
    assert lines[3].split() == ["all", "Administrative", "0", "200", "0.00%", "3.0%", "0%", "Below", "50%"]
    assert lines[4].split() == ["all", "Overall", "1", "200", "0.50%", "15.0%", "3%", "Below", "50%"]
    assert lines[8].split() == ["CCD", "Unauthorized", "0", "0", "0.00%", "0.5%", "0%", "Below", "50%"]
    assert lines[-1] == "  New crossings, the owners were emailed: all unauthorized at 100%, WEB unauthorized at 100%."
    assert len(lines) == 1 + 1 + 9 + 1
    assert len(alerts()) == 1

    out = StringIO()
    with time_machine.travel("2026-06-30 19:00-04:00", tick=False):
        call_command("ach", "return-rates", stdout=out)
    assert out.getvalue().splitlines()[-1] == "  No new crossing; nobody emailed."
    assert len(alerts()) == 1


def test_the_command_prints_another_days_figures_without_checking(acme):
    biller, customer, _ = acme
    sent = originate(biller, customer, day=TODAY, entries=20)
    return_entries(sent[:3], "R01", day=TODAY, biller=biller)

    out = StringIO()
    call_command("ach", "return-rates", "--biller", biller.slug, "--date", "2026-06-30", stdout=out)
    lines = out.getvalue().splitlines()

    assert lines[4].split() == ["all", "Overall", "3", "20", "15.00%", "15.0%", "100%", "Over", "the", "threshold"]
    assert lines[-1] == "  Figures only: the check runs on today's figures; nobody emailed."
    assert not ReturnRateCrossing.objects.exists() and alerts() == []


def test_the_command_refuses_an_unknown_biller_or_date(acme):
    with pytest.raises(CommandError, match="No biller has the portal address"):
        call_command("ach", "return-rates", "--biller", "nobody")
    with pytest.raises(CommandError, match="is not a date"):
        call_command("ach", "return-rates", "--date", "June")


def test_the_worker_checks_every_biller_with_ach_settings(acme):
    biller, customer, owner = acme
    ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
    other, _ = make_biller("Initech")  # no ACH settings: not checked
    sent = originate(biller, customer, day=TODAY, entries=20)
    return_entries(sent[:3], "R01", day=TODAY, biller=biller)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("remit.ach.return_rate_alerts.local_today", lambda _biller: TODAY)
        assert ach_return_rates_check() == 1
        assert ach_return_rates_check() == 0
    assert not ReturnRateCrossing.objects.filter(biller=other).exists()
