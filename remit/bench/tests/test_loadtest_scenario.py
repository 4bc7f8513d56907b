"""The locust scenario of `make loadtest` loads, and reads the real forms it fills in: the portal's
sign-in and Pay Outstanding Bills pages as Remit renders them. No load runs here: locust (and its
gevent) is imported only in a child process, as `remit loadtest` runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from remit.bench.management.commands.loadtest import SCENARIO, at_least_one, seconds, user_steps
from remit.test import make_world, portal_login

pytestmark = pytest.mark.django_db

READ_FORMS = """
import json, runpy, sys
scenario = runpy.run_path(sys.argv[1])
pages = json.loads(open(sys.argv[2]).read())
pay = ("csrfmiddlewaretoken", "idempotency_key", "pay_on", "bank_account")
print(json.dumps({
    "pay": {name: scenario["field"](pages["pay"], name) for name in pay},
    "invoices": scenario["checked"](pages["pay"], "invoices"),
    "signin": {name: scenario["field"](pages["signin"], name) for name in ("csrfmiddlewaretoken", "next")},
}))
"""


def test_the_scenario_loads_its_users(tmp_path: Path):
    listed = subprocess.run(
        [sys.executable, "-m", "locust", f"--locustfile={SCENARIO}", "--list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert {"PortalUser", "ConsoleUser", "HealthzProbe"} <= set(listed.stdout.split())


def test_the_scenario_reads_the_forms_it_fills_in(tmp_path: Path):
    world = make_world()
    invoices = [world.invoice(amount_cents=10_000), world.invoice(amount_cents=2_500)]
    account = world.bank_account()
    client = Client(enforce_csrf_checks=True)
    signin = client.get(f"/{world.biller.slug}/signin/").content.decode()
    portal_login(client, world.admin)
    pay = client.get(f"/{world.biller.slug}/pay-bills/").content.decode()
    (tmp_path / "pages.json").write_text(json.dumps({"pay": pay, "signin": signin}))

    read = subprocess.run(
        [sys.executable, "-c", READ_FORMS, str(SCENARIO), str(tmp_path / "pages.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    forms = json.loads(read.stdout)

    assert sorted(forms["invoices"]) == sorted(str(invoice.pk) for invoice in invoices)
    assert forms["pay"]["bank_account"] == str(account.pk)
    assert forms["pay"]["pay_on"].count("-") == 2  # an ISO date
    assert len(forms["pay"]["idempotency_key"]) == 32
    assert forms["pay"]["csrfmiddlewaretoken"]
    assert forms["signin"]["csrfmiddlewaretoken"]


def test_the_steps_of_users_are_numbers():
    assert user_steps("20,50") == (20, 50)
    with pytest.raises(Exception, match="give numbers of users separated by commas"):
        user_steps("20,many")
    assert (at_least_one("40"), seconds("0.5")) == (40, 0.5)
    with pytest.raises(Exception, match="1 or more"):
        at_least_one("0")
    with pytest.raises(Exception, match="seconds above 0"):
        seconds("soon")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="on PostgreSQL the load test would run")
def test_the_load_test_asks_for_postgresql():
    with pytest.raises(CommandError, match="runs on PostgreSQL"):
        call_command("loadtest")
