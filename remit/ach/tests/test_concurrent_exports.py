"""Exports at the same time, in real processes (two workers, a backlog of export tasks, an operator's
`remit ach export` while the worker exports): every recorded NACHA file exists with its SHA-256, and
every sent payment is in exactly one of them. Runs on SQLite and on PostgreSQL like every test."""

from __future__ import annotations

import subprocess
import sys

import pytest

from remit.ach.actions import ach_settings_save
from remit.ach.models import AchEntry, AchFile
from remit.ach.stored import file_text, outbound_key
from remit.ach.tests.nacha_parser import check_file
from remit.ach.tests.test_export import ach_fields, pay, payer
from remit.files.store import file_store, walk
from remit.payments.models import Payment, PaymentStatus
from remit.test import child_env, make_biller, make_invoice

pytestmark = pytest.mark.django_db(transaction=True)

# An export whose transaction stays open (an outer atomic block that sleeps before committing): the
# window in which another export used to delete this one's file before it was renamed.
HOLDER = """
import os, sys, time
from datetime import date
from django.db import transaction
from remit.ach.export import ach_export
from remit.billers.models import Biller

with transaction.atomic():
    biller = Biller.objects.get(slug=os.environ["HOLD_SLUG"])
    result = ach_export(biller=biller, effective_date=date.fromisoformat(os.environ["HOLD_DATE"]))
    print("written", result.payments, flush=True)
    time.sleep(float(os.environ["HOLD_SECONDS"]))
print("committed", flush=True)
"""


def remit(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "remit", *args],
        env=child_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
    return out


def two_billers_with_payments(per_biller: int) -> tuple[list, list[Payment]]:
    billers, payments = [], []
    for name in ("Acme Supply Co.", "Beta Tools Inc."):
        biller, owner = make_biller(name)
        ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
        customer, user, account = payer(biller, f"{name.split()[0]} Customer LLC", personal=False, number="123456789")
        for n in range(per_biller):
            payments.append(pay(biller, user, account, [make_invoice(customer, amount_cents=1000 + n)]))
        billers.append(biller)
    assert len({p.pay_on for p in payments}) == 1
    return billers, payments


def assert_every_recorded_file_exists_and_every_sent_payment_is_in_one(payments: list[Payment]) -> None:
    traces_in_files: dict[tuple[int, str], str] = {}  # trace numbers are unique per biller
    for record in AchFile.objects.all():
        assert file_store().exists(outbound_key(record.filename)), f"{record.filename} is not in the file store"
        records = check_file(file_text(record))  # read checked against its SHA-256
        entries = [r for r in records if r["kind"] == "entry" and r["individual_id"].strip() != "OFFSET"]
        assert len(entries) == record.entry_count == record.entries.count()
        for entry in entries:
            key = (record.biller_id, entry["trace"])
            assert key not in traces_in_files, "a trace number is in two files"
            traces_in_files[key] = record.filename
    statuses = dict(Payment.objects.filter(pk__in=[p.pk for p in payments]).values_list("pk", "status"))
    assert set(statuses.values()) == {PaymentStatus.SENT}
    for sent in AchEntry.objects.select_related("file"):
        assert traces_in_files.get((sent.biller_id, sent.trace_number)) == sent.file.filename
    assert AchEntry.objects.count() == len(payments) == len(traces_in_files)
    outbound = set(file_store().listdir("ach/outbound")[1])
    assert outbound == set(AchFile.objects.values_list("filename", flat=True)), "an unrecorded file is outbound"
    assert list(walk(file_store(), "ach/partial")) == [], "a partial file was left behind"


def test_an_export_started_while_another_is_writing_waits_and_loses_no_file():
    """The reproduction from the issue: one export holds its transaction open after writing; an
    operator's `remit ach export` (every biller) and a second worker's export of the other biller
    start meanwhile."""
    (acme, beta), payments = two_billers_with_payments(per_biller=3)
    day = payments[0].pay_on.isoformat()
    holder = remit("shell", "-v", "0", "-c", HOLDER, HOLD_SLUG=acme.slug, HOLD_DATE=day, HOLD_SECONDS="5")
    assert holder.stdout is not None
    assert holder.stdout.readline().split() == ["written", "3"], holder.stderr.read() if holder.stderr else ""
    operator = remit("ach", "export", "--date", day)
    other_worker = remit("ach", "export", "--date", day, "--biller", beta.slug)
    assert "committed" in finish(holder)
    finish(operator)
    finish(other_worker)
    assert AchFile.objects.filter(biller=acme).count() == 1 and AchFile.objects.filter(biller=beta).count() == 1
    assert_every_recorded_file_exists_and_every_sent_payment_is_in_one(payments)


def test_four_exports_at_once_write_each_payment_into_exactly_one_existing_file():
    _, payments = two_billers_with_payments(per_biller=4)
    day = payments[0].pay_on.isoformat()
    exports = [remit("ach", "export", "--date", day) for _ in range(4)]
    outputs = [finish(process) for process in exports]
    assert sum(out.count(": wrote ach/outbound/") for out in outputs) == 2
    assert_every_recorded_file_exists_and_every_sent_payment_is_in_one(payments)
