"""`remit reminders run [--today]` does one round and prints what it sent; the `remit` command runs it
as an operator would, in a process of its own; two such processes at once send each reminder once."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from remit.notifications.models import OutboundEmail
from remit.reminders.models import ReminderSent, ReminderStep
from remit.test import child_env, make_biller, make_customer, make_invoice, make_world

ISSUED = date(2026, 3, 2)


@pytest.mark.django_db
def test_it_prints_what_it_sent():
    world = make_world()
    ReminderStep.objects.create(biller=world.biller, offset_days=3, subject="Overdue", message="")
    invoice = world.invoice(issue_date=ISSUED)
    out = StringIO()
    call_command("reminders", "run", "--today", "2026-04-04", stdout=out)
    text = out.getvalue()
    assert f"invoice {invoice.number} · Globex Corporation · 3 days after the due date · $100.00 left" in text
    assert "→ ap@globex.example" in text
    assert "Sent 1 reminder(s) (1 email(s)); added 0 late fee(s)." in text
    out = StringIO()
    call_command("reminders", "run", "--today", "2026-04-04", stdout=out)
    assert "Sent 0 reminder(s)" in out.getvalue()


@pytest.mark.django_db
def test_a_bad_date_is_one_line():
    with pytest.raises(CommandError, match="is not a date"):
        call_command("reminders", "run", "--today", "April 4")


ROUND = """
import sys, time
from datetime import date
from pathlib import Path
from remit.reminders.engine import reminders_run
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
print(f"sent {len(reminders_run(today=date(2026, 4, 4)).sent)}")
"""


def start(script, args, tmp_path, name):
    path = tmp_path / f"{name}.py"
    path.write_text(script)
    argv = ["x", *map(str, args)]
    command = [
        sys.executable,
        "-m",
        "remit",
        "shell",
        "-c",
        f"import sys; sys.argv = {argv!r}; exec(open({str(path)!r}).read())",
    ]
    return subprocess.Popen(command, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(tmp_path):
    biller, _ = make_biller("Acme Supply Co.")
    ReminderStep.objects.create(biller=biller, offset_days=3, subject="Overdue", message="")
    for n in range(6):
        customer = make_customer(biller, f"Customer {n}", email=f"ap{n}@customer{n}.example")
        for _ in range(100):  # more than one batch of 500 over all customers
            make_invoice(customer, issue_date=ISSUED)
    go = tmp_path / "go"
    processes = [start(ROUND, [go], tmp_path, f"round-{name}") for name in "ab"]
    time.sleep(3)
    go.touch()
    outputs = [process.communicate(timeout=240) for process in processes]
    results = [out.strip().splitlines()[-1] if out.strip() else f"crashed: {err[-800:]}" for out, err in outputs]
    assert all(r.startswith("sent") for r in results), results
    assert sum(int(r.split()[1]) for r in results) == 600
    assert ReminderSent.objects.count() == 600
    assert OutboundEmail.objects.filter(subject__startswith="Overdue").count() == 600


@pytest.mark.django_db
def test_the_workers_periodic_task_runs_one_round_on_the_billers_date():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from remit.reminders.tasks import reminders_round

    world = make_world()
    ReminderStep.objects.create(biller=world.biller, offset_days=3, subject="Overdue", message="")
    world.invoice(issue_date=ISSUED)
    with time_machine.travel(datetime(2026, 4, 4, 9, 0, tzinfo=ZoneInfo("America/New_York")), tick=False):
        assert reminders_round() == 1
        assert reminders_round() == 0
