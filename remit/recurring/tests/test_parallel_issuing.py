"""Never twice, with real concurrency: two `remit recurring run` processes (two workers) at the same
instant, on the test database (PostgreSQL in CI's second run). Each date is issued exactly once."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date

import pytest
import time_machine

from remit.invoices.models import Invoice
from remit.recurring.models import IssueStatus, RecurringIssue
from remit.recurring.tests.helpers import at, make_template
from remit.test import child_env, make_biller, make_customer

pytestmark = pytest.mark.django_db(transaction=True)

RUN = """
import sys, time
from datetime import date
from pathlib import Path
from remit.recurring.issuing import recurring_run
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
report = recurring_run(today=date(2027, 5, 1))
print(f"handled {len(report.issues)}")
"""


def start(script_path, go, tmp_path):
    argv = ["x", str(go)]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "remit",
            "shell",
            "-c",
            f"import sys; sys.argv = {argv!r}; exec(open({str(script_path)!r}).read())",
        ],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_workers_at_once_issue_each_date_once(tmp_path):
    biller, _ = make_biller("Acme Supply Co.")
    with time_machine.travel(at(date(2027, 3, 1)), tick=False):
        for number in range(6):  # monthly from March 1: March, April and May are due on May 1
            make_template(make_customer(biller, f"Customer {number}"))
    script = tmp_path / "run.py"
    script.write_text(RUN)
    go = tmp_path / "go"
    workers = [start(script, go, tmp_path) for _ in range(2)]
    time.sleep(2)  # both processes started and waiting
    go.touch()
    outputs = [worker.communicate(timeout=240) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    handled = sum(int(out.split()[-1]) for out, _ in outputs)
    assert handled == 18  # 6 customers × 3 dates, between the two workers
    assert RecurringIssue.objects.filter(status=IssueStatus.ISSUED).count() == 18
    assert Invoice.objects.count() == 18
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{n:05d}" for n in range(1, 19)]
