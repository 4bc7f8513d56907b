"""ACH figures: exporting 100,000 scheduled payments as one NACHA file (time and peak memory, and
the same for 10,000 to show memory does not grow with the number of payments), and importing a
return file of 10,000 returns. Each runs in a fresh process of its own, so its peak memory is its
own and not the seeding's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from remit.ach.actions import AchFields, ach_settings_save
from remit.ach.export import next_file_date
from remit.ach.models import AchFile
from remit.ach.stored import file_text
from remit.bench.autopay import peak_rss_kib
from remit.billers.actions import biller_sign_up
from remit.billers.models import Biller
from remit.customers.models import AccountType, Customer, CustomerMembership, PortalRole
from remit.invoices.models import Invoice
from remit.lib import crypto
from remit.notifications.models import OutboundEmail
from remit.payments.bank_accounts import SHARED, account_lookup_hash
from remit.payments.models import Allocation, BankAccount, BankAccountType, Payment, PaymentMethod, PaymentStatus
from remit.users.models import User

Row = tuple[str, str, str]
ROUTING = "011000015"
BATCH = 5000
HISTORY = 12  # settled payments per customer before the file
RULES = ("new_account", "account_change", "unusual_amount", "many_accounts", "shared_account")


def seed_scheduled(*, name: str, payments: int, customers: int = 1000) -> tuple[Biller, date]:
    """A biller with ACH settings and ``payments`` scheduled payments (one invoice each) for its next
    file date, from ``customers`` accounts, half Personal (WEB) and half Business (CCD)."""
    slug = name.lower().replace(" ", "-")
    biller, owner = biller_sign_up(
        business_name=name, owner_name="Bench", email=f"{slug}@bench.example", password="bench-password-2026"
    )
    ach_settings_save(
        biller=biller,
        actor=owner,
        fields=AchFields(
            odfi_routing="111000025",
            immediate_origin="1234567890",
            destination_name="BENCH BANK",
            origin_name=name[:23],
            company_name=name[:16],
            company_id="1234567890",
            cutoff_time=clock(16, 0),
        ),
    )
    day = next_file_date(biller)
    customers = min(customers, payments)
    people = Customer.objects.bulk_create(
        Customer(
            biller=biller,
            name=f"Customer {n}",
            reference=f"C{n:05d}",
            billing_emails=[f"c{n}@{slug}.example"],
            account_type=AccountType.PERSONAL if n % 2 else AccountType.BUSINESS,
        )
        for n in range(customers)
    )
    users = User.objects.bulk_create(
        User(email=f"c{n}@{slug}.example", biller=biller, password="!") for n in range(customers)
    )
    # Accounts of long standing (a biller's steady state), but for two customers sharing one account,
    # which the risk rules hold (``ach.risk_holds``): their payments stay out of the file.
    long_ago = timezone.now() - timedelta(days=90)
    accounts = BankAccount.objects.bulk_create(
        BankAccount(
            customer=customer,
            added_by=user,
            holder_name=customer.name,
            routing_number=ROUTING,
            account_type=BankAccountType.CHECKING if n % 3 else BankAccountType.SAVINGS,
            account_number_encrypted=crypto.encrypt(f"{100000 + _shared(n)}"),
            account_last4=f"{100000 + _shared(n)}"[-4:],
            lookup_hash=account_lookup_hash(routing_number=ROUTING, account_number=f"{100000 + _shared(n)}"),
            visibility_key=SHARED,
            debits_from=timezone.localdate(),  # validated (by another service): the bench measures exports, not waits
            created_at=long_ago,
        )
        for n, (customer, user) in enumerate(zip(people, users, strict=True))
    )
    today = timezone.localdate()
    _settled_history(biller, accounts, today)
    for start in range(0, payments, BATCH):
        size = min(BATCH, payments - start)
        invoices = Invoice.objects.bulk_create(
            Invoice(
                biller=biller,
                customer=people[(start + k) % customers],
                number=f"B-{start + k:06d}",
                issue_date=today,
                due_date=day,
                subtotal_cents=1000 + (start + k) % 50000,
                total_cents=1000 + (start + k) % 50000,
                pending_cents=1000 + (start + k) % 50000,
            )
            for k in range(size)
        )
        made = Payment.objects.bulk_create(
            Payment(
                biller=biller,
                customer_id=invoice.customer_id,
                method=PaymentMethod.ACH,
                status=PaymentStatus.SCHEDULED,
                amount_cents=invoice.total_cents,
                pay_on=day,
                bank_account=accounts[(start + k) % customers],
                is_autopay=bool(k % 4 == 0),
            )
            for k, invoice in enumerate(invoices)
        )
        Allocation.objects.bulk_create(
            Allocation(payment=payment, invoice=invoice, amount_cents=payment.amount_cents)
            for payment, invoice in zip(made, invoices, strict=True)
        )
    return biller, day


def _shared(n: int) -> int:
    """Customer 1 uses customer 0's account number (the risk rules' "one account at several customers")."""
    return 0 if n == 1 else n


def _settled_history(biller: Biller, accounts: list[BankAccount], today: date) -> None:
    """Each customer's last settled payments (``HISTORY`` of them, amounts around $200), which the rule
    on payments far above the usual reads: none of the scheduled ones is 3× above it."""
    Payment.objects.bulk_create(
        Payment(
            biller=biller,
            customer_id=account.customer_id,
            method=PaymentMethod.ACH,
            status=PaymentStatus.SETTLED,
            amount_cents=20_000 + 100 * k,
            pay_on=today - timedelta(days=30 * (k + 1)),
            bank_account=account,
        )
        for account in accounts
        for k in range(HISTORY)
    )


def _rolled_back(biller_id: int, day: str, rules_on: bool) -> dict[str, Any]:
    """The export with every risk rule on (at its default) or off, rolled back, so the same payments
    can be exported again (the file it wrote is left unrecorded in the partial folder, which the
    next export deletes)."""
    from remit.payments.models import PaymentRiskRules

    with transaction.atomic():
        PaymentRiskRules.objects.update_or_create(biller_id=biller_id, defaults={f"{r}_on": rules_on for r in RULES})
        result = _export(biller_id, day)
        transaction.set_rollback(True)
    return result


def _compare(biller_id: int, day: str) -> dict[str, Any]:
    """In the child process: the same export with the rules off and on, twice each in turn (rolled
    back alike), the faster of each: one process, so both meet the same warm caches."""
    runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for _ in range(2):
        for rules_on in (False, True):
            runs[rules_on].append(_rolled_back(biller_id, day, rules_on))
    off, on = (min(runs[key], key=lambda run: float(run["seconds"])) for key in (False, True))
    return {"off": off, "on": on}


def _rule_pass(biller_id: int, day: str) -> dict[str, Any]:
    """In the child process: the risk rules' pass alone over the file's payments (rolled back)."""
    from remit.ach.export import due_payments
    from remit.ach.risk_holds import hold_risky

    connection.ensure_connection()
    biller = Biller.objects.get(pk=biller_id)
    with transaction.atomic():
        started = time.perf_counter()
        held = hold_risky(biller, date.fromisoformat(day), due_payments(biller, date.fromisoformat(day)))
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": seconds, "held": len(held)}


def _export(biller_id: int, day: str) -> dict[str, Any]:
    """In the child process: the export, timed, with this process's peak memory."""
    from remit.ach.export import ach_export
    from remit.notifications import actions as notifications_actions

    notifications_actions._request_delivery = lambda email_id: None
    connection.ensure_connection()
    before = peak_rss_kib()
    started = time.perf_counter()
    result = ach_export(biller=Biller.objects.get(pk=biller_id), effective_date=date.fromisoformat(day))
    seconds = time.perf_counter() - started
    assert result.file is not None
    return {"seconds": seconds, "payments": result.payments, "before_kib": before, "peak_kib": peak_rss_kib()}


def _scratch() -> Path:
    """The benchmark's own scratch files (removed after use), in the data folder."""
    path = Path(settings.DATA_DIR) / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _raw(biller_id: int, day: str) -> dict[str, Any]:
    """In the child process: the export's own SELECT (keyset pages, rows locked) and the same NACHA
    file written with the pure writer, without Remit's bookkeeping — no file record, no entries, no
    status changes, no events, no webhooks (the transaction is rolled back). What the export costs
    beyond reading the payments and writing their file."""
    from remit.ach import nacha
    from remit.ach.export import EntryStream, batch_counts, due_payments, file_header
    from remit.ach.models import AchSettings

    connection.ensure_connection()
    biller = Biller.objects.get(pk=biller_id)
    started = time.perf_counter()
    with transaction.atomic():
        ach = AchSettings.objects.get(biller=biller)
        due = due_payments(biller, date.fromisoformat(day))
        stream = EntryStream(ach, date.fromisoformat(day), due, batch_counts(due), book=lambda *page: None)
        header = file_header(ach, AchFile(file_id_modifier="Z"), biller.local_now())
        path = _scratch() / "bench-raw.ach"
        with path.open("w", encoding="ascii", newline="\n") as out:
            nacha.write_file(out, header, stream.batches())
            out.flush()
            os.fsync(out.fileno())
        transaction.set_rollback(True)
    seconds = time.perf_counter() - started
    path.unlink()
    return {"seconds": seconds, "payments": stream.sent}


def _import(biller_id: int, path: str) -> dict[str, Any]:
    from pathlib import Path

    from remit.ach.returns import ach_import_returns
    from remit.notifications import actions as notifications_actions

    notifications_actions._request_delivery = lambda email_id: None
    connection.ensure_connection()
    text = Path(path).read_text(encoding="ascii")
    emails = OutboundEmail.objects.count()
    started = time.perf_counter()
    result = ach_import_returns(text=text, filename="bench-returns.ach", biller=Biller.objects.get(pk=biller_id))
    seconds = time.perf_counter() - started
    emails = OutboundEmail.objects.count() - emails
    return {"seconds": seconds, "returned": result.returned, "emails": emails, "peak_kib": peak_rss_kib()}


def _rules_row(payments: int, compared: Any, rule_pass: Any) -> Row:
    """The export with the risk rules on beside the same export with them off (goal: ≤ 20% more)."""
    assert compared is not None
    assert rule_pass is not None
    off, on = compared["off"], compared["on"]
    rate_off, rate_on = off["payments"] / off["seconds"], on["payments"] / on["seconds"]
    return (
        f"ACH export with the risk rules on, {payments:,} payments ({connection.vendor})",
        f"{rate_on:,.0f} payments/s on, {rate_off:,.0f} off: the rules add {on['seconds'] / off['seconds'] - 1:+.0%} "
        "(goal ≤ 20%)",
        f"their pass alone {rule_pass['seconds']:.2f} s ({rule_pass['seconds'] / off['seconds']:.0%} of the export "
        f"without them), {rule_pass['held']:,} payments held",
    )


def give_admins(biller: Biller) -> None:
    """Each customer account's seeded user becomes its admin, so that the return import emails every
    customer account as it would in production (without one it has nobody to tell)."""
    users = {user.email: user for user in User.objects.filter(biller=biller)}
    CustomerMembership.objects.bulk_create(
        CustomerMembership(customer=customer, user=users[customer.billing_emails[0]], role=PortalRole.ADMIN)
        for customer in Customer.objects.filter(biller=biller)
    )


def _child(database_url: str, call: str) -> dict[str, Any]:
    code = (
        "import json, os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'remit.settings'); django.setup(); "
        f"from remit.bench import ach; print('ACH-BENCH ' + json.dumps(ach.{call}))"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "REMIT_DEBUG": "0"}  # no query log, as in production
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("ACH-BENCH ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"The ACH benchmark failed:\n{result.stdout}\n{result.stderr}")
    return dict(json.loads(line.removeprefix("ACH-BENCH ")))


def export_and_returns(database_url: str, *, payments: int = 100_000, returns: int = 10_000) -> list[Row]:
    from remit.ach.bank_sim import returns_for

    rows: list[Row] = []
    small = max(payments // 10, 10)
    figures = {}
    raw = compared = rule_pass = None
    for count, name in ((small, "ACH Bench Small"), (payments, "ACH Bench Large")):
        started = time.perf_counter()
        biller, day = seed_scheduled(name=name, payments=count)
        sys.stderr.write(f"  seeded {count:,} scheduled payments in {time.perf_counter() - started:.1f} s\n")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        args = f"({biller.pk}, {day.isoformat()!r})"
        if count == payments:
            raw = _child(database_url, f"_raw{args}")
            compared = _child(database_url, f"_compare{args}")
            rule_pass = _child(database_url, f"_rule_pass{args}")
        figures[count] = (biller, _child(database_url, f"_export{args}"))
    for count, (_, result) in figures.items():
        rate = result["payments"] / result["seconds"]
        rows.append(
            (
                f"ACH export, {count:,} scheduled payments, one file ({connection.vendor})",
                f"{result['seconds']:.2f} s ({rate:,.0f} payments/s; goal ≥ 10,000/s)",
                f"peak memory {result['peak_kib'] / 1024:.0f} MB (whole process, {result['before_kib'] / 1024:.0f} MB "
                "before it)",
            )
        )
    rows.append(_rules_row(payments, compared, rule_pass))
    assert raw is not None
    raw_rate = raw["payments"] / raw["seconds"]
    export_rate = figures[payments][1]["payments"] / figures[payments][1]["seconds"]
    rows.append(
        (
            f"Raw: the export's SELECT + NACHA file write, {raw['payments']:,} payments, no bookkeeping "
            f"({connection.vendor})",
            f"{raw['seconds']:.2f} s ({raw_rate:,.0f} payments/s)",
            f"the export's rate is {export_rate / raw_rate:.0%} of it: bookkeeping makes it "
            f"{raw_rate / export_rate:.1f}× slower (entries, status changes, events, webhooks)",
        )
    )
    biller = figures[payments][0]
    record = AchFile.objects.get(biller=biller)
    outbound = file_text(record)
    traces = list(record.entries.order_by("pk").values_list("trace_number", flat=True)[: min(returns, payments)])
    returned = returns_for(outbound, returns=dict.fromkeys(traces, "R01"), today=timezone.localdate())
    path = _scratch() / "bench-returns.ach"
    path.write_text(returned, encoding="ascii")
    give_admins(biller)
    result = _child(database_url, f"_import({biller.pk}, {str(path)!r})")
    rows.append(
        (
            f"Import of a return file, {len(traces):,} returns ({connection.vendor})",
            f"{result['seconds']:.2f} s ({result['returned'] / result['seconds']:,.0f} returns/s; "
            "goal ≥ 1,000 returns/s)",
            f"{result['returned']:,} payments returned, invoices reopened, {result['emails']:,} emails to customers "
            "and the biller; "
            f"peak memory {result['peak_kib'] / 1024:.0f} MB",
        )
    )
    return rows
