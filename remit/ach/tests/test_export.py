"""`ach_export` on the database: the file that was really written, read by the tests' own parser;
exactly once, even when the process is killed between writing and committing."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from remit.ach.actions import AchFields, ach_settings_save
from remit.ach.export import AchError, ach_export, next_file_date
from remit.ach.models import AchEntry, AchFile
from remit.ach.stored import file_bytes, file_text, partial_key, recover_partial
from remit.ach.tests.nacha_parser import check_file
from remit.autopay.settings import autopay_save
from remit.customers.models import Customer
from remit.files.store import file_store, walk
from remit.lib.banking_days import is_banking_day, next_banking_day
from remit.payments.actions import payment_schedule
from remit.payments.models import BankAccount, Payment, PaymentStatus
from remit.test import (
    child_env,
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    parts,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db


def ach_fields(**changes):
    values = {
        "odfi_routing": "111000025",
        "immediate_origin": "1234567890",
        "destination_name": "First Demo Bank",
        "origin_name": "Acme Supply Co",
        "company_name": "ACME SUPPLY CO",
        "company_id": "1234567890",
        "cutoff_time": time(16, 0),
        **changes,
    }
    return AchFields(**values)


@pytest.fixture
def export(run_on_commit):
    """ach_export, with what follows its commit run as a committed transaction would."""

    def run(**kwargs):
        with run_on_commit(execute=True):
            return ach_export(**kwargs)

    return run


@pytest.fixture
def acme():
    biller, owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
    return biller, owner


def payer(biller, name, *, personal, number, account_type="checking"):
    customer = make_customer(biller, name, email=f"ap@{name.split()[0].lower()}.example")
    user = make_portal_user(customer)
    Customer.objects.filter(pk=customer.pk).update(account_type="personal" if personal else "business")
    account = make_bank_account(user, number=number, account_type=account_type)
    return customer, user, account


def pay(biller, user, account, invoices, *, pay_on=None):
    return payment_schedule(
        payer=user,
        invoice_ids=[i.pk for i in invoices],
        bank_account_id=account.pk,
        pay_on=pay_on or soonest_pay_on(biller),
        total_cents=sum(i.total_cents for i in invoices),
    )


def read(record: AchFile) -> str:
    return file_text(record)


def test_personal_accounts_go_in_a_web_batch_and_business_in_ccd_with_the_invoice_numbers(acme, export):
    biller, _ = acme
    _, jo, jo_account = payer(biller, "Jo Smith", personal=True, number="55501234", account_type="savings")
    globex, ap, globex_account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    jo_payment = pay(biller, jo, jo_account, [make_invoice(Customer.objects.get(name="Jo Smith"), amount_cents=4500)])
    invoices = [
        make_invoice(globex, amount_cents=10000, number="INV-7"),
        make_invoice(globex, amount_cents=2500, number="INV-8"),
    ]
    globex_payment = pay(biller, ap, globex_account, invoices)
    day = jo_payment.pay_on
    result = export(biller=biller, effective_date=day)
    assert result.file is not None and result.payments == 2
    records = check_file(read(result.file))
    header = records[0]
    assert header["immediate_destination"] == " 111000025" and header["immediate_origin"] == "1234567890"
    assert header["file_id_modifier"] == "A"
    batches = [r for r in records if r["kind"] == "batch_header"]
    assert [(b["sec_code"], b["service_class"], b["effective_date"]) for b in batches] == [
        ("WEB", "225", f"{day:%y%m%d}"),
        ("CCD", "225", f"{day:%y%m%d}"),
    ]
    assert all(b["company_name"].strip() == "ACME SUPPLY CO" and b["company_id"] == "1234567890" for b in batches)
    assert all(b["entry_description"].strip() == "INVOICE" and b["odfi"] == "11100002" for b in batches)
    web, ccd = [r for r in records if r["kind"] == "entry"]
    assert (web["transaction_code"], web["amount"], web["discretionary"]) == ("37", "0000004500", "S ")
    assert web["account_number"].strip() == "55501234" and web["addenda_indicator"] == "0"
    assert (ccd["transaction_code"], ccd["amount"], ccd["addenda_indicator"]) == ("27", "0000012500", "1")
    addenda = next(r for r in records if r["kind"] == "addenda_05")
    assert addenda["information"].strip() == "INV INV-7,INV-8"
    traces = [web["trace"], ccd["trace"]]
    assert traces == ["111000020000001", "111000020000002"]
    for payment, trace in ((jo_payment, traces[0]), (globex_payment, traces[1])):
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SENT
        assert AchEntry.objects.get(payment=payment).trace_number == trace
    assert result.file.total_debit_cents == 17000 and len(result.file.sha256) == 64


def test_auto_pay_entries_are_recurring(acme, export):
    biller, _ = acme
    jo_customer, jo, account = payer(biller, "Jo Smith", personal=True, number="55501234")
    # An account of long standing: a new one would be held by the account-change risk rule.
    BankAccount.objects.filter(pk=account.pk).update(created_at=timezone.now() - timedelta(days=60))
    autopay_save(
        customer=jo_customer,
        actor=jo,
        enabled=True,
        max_cents=100000,
        bank_account_id=account.pk,
        days=0,
        when="before",
    )
    invoice = make_invoice(jo_customer, amount_cents=3000, issue_date=timezone.localdate() - timedelta(days=60))
    payment = Payment.objects.get(allocations__invoice=invoice)
    assert payment.is_autopay
    result = export(biller=biller, effective_date=payment.pay_on)
    assert result.file is not None
    entry = next(r for r in check_file(read(result.file)) if r["kind"] == "entry")
    assert entry["discretionary"] == "R "


def test_a_second_export_for_the_same_date_sends_nothing_and_traces_never_repeat(acme, export):
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    first = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    assert export(biller=biller, effective_date=first.pay_on).file is not None
    again = export(biller=biller, effective_date=first.pay_on)
    assert again.file is None and AchFile.objects.count() == 1
    second = pay(biller, user, account, [make_invoice(customer, amount_cents=2000)], pay_on=first.pay_on)
    later = export(biller=biller, effective_date=first.pay_on)
    assert later.file is not None and later.file.file_id_modifier == "B"
    assert AchEntry.objects.get(payment=second).trace_number == "111000020000002"


def test_a_late_payment_goes_in_the_next_file_with_the_next_banking_day_and_the_payer_is_told(acme, export, mailbox):
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    yesterday = timezone.localdate() - timedelta(days=1)
    Payment.objects.filter(pk=payment.pk).update(pay_on=yesterday)  # the worker was down
    result = export(biller=biller)  # its emails are queued on commit too
    payment.refresh_from_db()
    day = next_file_date(biller)
    assert result.moved == [payment.pk] and payment.pay_on == day and payment.status == PaymentStatus.SENT
    entry_day = next(r for r in check_file(read(result.file)) if r["kind"] == "batch_header")["effective_date"]
    assert entry_day == f"{day:%y%m%d}"
    moved = [m for m in mailbox() if "now goes out on" in m["Subject"]]
    assert len(moved) == 1 and f"{day:%B} {day.day}, {day.year}" in parts(moved[0])["text/plain"]


def test_an_effective_date_in_the_past_today_or_on_a_holiday_is_refused(acme, export):
    biller, _ = acme
    today = timezone.localdate()
    with pytest.raises(AchError, match="can't be in the past"):
        export(biller=biller, effective_date=today)
    christmas = date(today.year, 12, 25) if date(today.year, 12, 25) > today else date(today.year + 1, 12, 25)
    with pytest.raises(AchError, match="not a banking day"):
        export(biller=biller, effective_date=christmas)
    assert not is_banking_day(christmas)


@pytest.fixture(params=["database", "s3"])
def store_env(request) -> dict[str, str]:
    """Each crash test runs with both stores: the database (the file commits with its record) and S3 on
    a real local server (the file waits under ach/partial/ until the commit). The child processes use
    the same store as the test (the ``env`` returned)."""
    if request.param == "database":
        return {}
    return request.getfixturevalue("s3_store").env


def _export_in_a_process(day: date, crash_at: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "remit", "ach", "export", "--date", day.isoformat()],
        env=child_env(REMIT_ACH_CRASH_AT=crash_at, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _keys(folder: str) -> list[str]:
    return list(walk(file_store(), folder))


@pytest.mark.django_db(transaction=True)
def test_killed_between_writing_and_committing_nothing_is_sent_and_the_next_run_sends_it_once(acme, store_env):
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payments = [pay(biller, user, account, [make_invoice(customer, amount_cents=1000 + n)]) for n in range(3)]
    day = payments[0].pay_on
    crashed = _export_in_a_process(day, "after-write", store_env)
    assert crashed.returncode == 86, crashed.stderr
    assert _keys("ach/outbound") == []
    # The database store rolled the file back with its record; S3 keeps the unrecorded partial file.
    assert len(_keys("ach/partial")) == (1 if store_env else 0)
    assert not AchFile.objects.exists()
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.SCHEDULED}
    done = _export_in_a_process(day, "", store_env)
    assert done.returncode == 0, done.stderr
    assert _keys("ach/partial") == []  # the leftover was deleted under the biller's lock
    record = AchFile.objects.get()
    assert _keys("ach/outbound") == [f"ach/outbound/{record.filename}"]
    assert record.entry_count == 3
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.SENT}
    assert len([r for r in check_file(read(record)) if r["kind"] == "entry"]) == 3


@pytest.mark.django_db(transaction=True)
def test_killed_after_committing_the_next_run_finishes_the_file_and_sends_nothing_twice(acme, store_env):
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    crashed = _export_in_a_process(payment.pay_on, "after-commit", store_env)
    assert crashed.returncode == 86, crashed.stderr
    record = AchFile.objects.get()
    if store_env:  # S3: recorded, but not yet published; it is served from ach/partial/ meanwhile
        assert _keys("ach/outbound") == [] and _keys("ach/partial") == [f"ach/partial/{biller.pk}/{record.filename}"]
    else:  # the database store: the file committed with its record; nothing is left to finish
        assert _keys("ach/outbound") == [f"ach/outbound/{record.filename}"] and _keys("ach/partial") == []
    assert len([r for r in check_file(read(record)) if r["kind"] == "entry"]) == 1
    assert Payment.objects.get().status == PaymentStatus.SENT
    done = _export_in_a_process(payment.pay_on, "", store_env)
    assert done.returncode == 0 and "nothing scheduled" in done.stdout
    assert AchFile.objects.count() == 1 and _keys("ach/outbound") == [f"ach/outbound/{record.filename}"]
    assert _keys("ach/partial") == []
    assert AchEntry.objects.count() == 1
    assert len([r for r in check_file(read(record)) if r["kind"] == "entry"]) == 1


@pytest.mark.django_db(transaction=True)
def test_an_s3_partial_file_that_changed_is_left_for_an_operator(acme, s3_store, caplog):
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    assert _export_in_a_process(payment.pay_on, "after-commit", s3_store.env).returncode == 86
    record = AchFile.objects.get()
    file_store().save(partial_key(biller.pk, record.filename), ContentFile(b"not the file"))
    recover_partial(biller)
    assert _keys("ach/outbound") == [] and "does not match its recorded SHA-256" in caplog.text


def test_the_worker_exports_at_the_cutoff_of_a_banking_day_only(acme, settings):
    from unittest import mock

    from remit.ach import tasks

    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    monday = date(2026, 12, 7)
    before = datetime(2026, 12, 7, 15, 59, tzinfo=ZoneInfo("America/New_York"))
    after = before + timedelta(minutes=2)
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    Payment.objects.filter(pk=payment.pk).update(pay_on=next_banking_day(monday))
    with mock.patch("remit.billers.models.timezone.now", return_value=before):
        assert tasks.ach_export_due() == 0
    with mock.patch("remit.billers.models.timezone.now", return_value=after):
        assert tasks.ach_export_due() == 1
    assert AchFile.objects.get().effective_date == next_banking_day(monday)


def test_the_file_is_in_the_store_and_a_copy_in_the_outbound_folder_when_asked_readable_by_its_owner_only(
    acme, export, settings, tmp_path
):
    settings.REMIT_ACH_OUTBOUND_DIR = str(tmp_path / "outbound")
    biller, _ = acme
    customer, user, account = payer(biller, "Globex Corporation", personal=False, number="123456789")
    payment = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    result = export(biller=biller, effective_date=payment.pay_on)
    assert result.file is not None
    copy = tmp_path / "outbound" / result.file.filename
    assert copy.read_bytes() == file_bytes(result.file) and copy.stat().st_mode & 0o777 == 0o600


def test_a_file_of_several_pages_costs_four_queries_a_page_and_reads_the_listeners_once(acme, export, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from remit.ach import export as export_module
    from remit.lib import crypto
    from remit.payments.models import PaymentEvent
    from remit.webhooks.models import EventType, WebhookEndpoint, WebhookEvent

    biller, owner = acme
    customer, user, account = payer(biller, "Jo Smith", personal=True, number="55501234")
    first = pay(biller, user, account, [make_invoice(customer, amount_cents=1000)])
    payments = [first] + [
        pay(biller, user, account, [make_invoice(customer, amount_cents=1001 + n)], pay_on=first.pay_on)
        for n in range(6)
    ]
    WebhookEndpoint.objects.create(
        biller=biller,
        url="https://hooks.acme.example/remit",
        events=[EventType.INVOICE_CREATED],  # listening, but not to payment.sent
        secret_encrypted=crypto.encrypt("s"),
        created_by=owner,
    )
    monkeypatch.setattr(export_module, "CHUNK", 2)  # 7 payments: 4 pages
    with CaptureQueriesContext(connection) as queries:
        result = export(biller=biller, effective_date=first.pay_on)
    assert result.payments == 7
    sql = [query["sql"] for query in queries.captured_queries]
    # Per page: one SELECT of its payments (locked, with what the entries need), the entries'
    # INSERT, the status UPDATE and the events' INSERT; the listeners once for the whole file.
    # (On a day whose effective date is later than the payments' Pay On, one more SELECT looks for
    # payments to move to it: not a page's.)
    page = 'SELECT "payments_payment"."id" AS "pk", "payments_payment"."amount_cents"'
    assert sum(q.startswith(page) for q in sql) == 4 + 1  # the last one finds none
    assert sum(q.startswith('INSERT INTO "ach_achentry"') for q in sql) == 4
    assert sum(q.startswith('UPDATE "payments_payment"') for q in sql) == 4
    assert sum(q.startswith('INSERT INTO "payments_paymentevent"') for q in sql) == 4
    assert sum("webhooks_webhookendpoint" in q for q in sql) == 1
    traces = [r["trace"] for r in check_file(read(result.file)) if r["kind"] == "entry"]
    assert traces == [f"11100002{n:07d}" for n in range(1, 8)]
    ids = [payment.pk for payment in payments]
    assert dict(AchEntry.objects.values_list("payment_id", "trace_number")) == dict(zip(ids, traces, strict=True))
    assert set(Payment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {PaymentStatus.SENT}
    sent = PaymentEvent.objects.filter(to_status=PaymentStatus.SENT).values_list("payment_id", flat=True)
    assert sorted(sent) == sorted(ids)
    assert not WebhookEvent.objects.filter(type=EventType.PAYMENT_SENT).exists()
