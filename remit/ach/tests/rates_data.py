"""Debit entries and returns written as rows, in bulk, for the return-rate tests: a rate of 0.25%
needs 400 entries, which the export would take too long to write one test at a time. One test
(``test_return_rate_data.py``) goes through the real export and import to show the rows are read
as those paths write them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from itertools import count
from zoneinfo import ZoneInfo

from remit.ach.models import AchEntry, AchFile, AchReturn, InboundFile
from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.payments.models import Payment, PaymentStatus
from remit.test import make_bank_account, make_portal_user

_numbers = count(1)


def originate(
    biller: Biller, customer: Customer, *, day: date, entries: int, sec_code: str = "WEB", amount_cents: int = 1000
) -> list[AchEntry]:
    """``entries`` debits sent in one file written on ``day`` (the biller's date)."""
    account = customer.bank_accounts.first() or make_bank_account(make_portal_user(customer))
    payments = Payment.objects.bulk_create(
        Payment(
            biller=biller,
            customer=customer,
            method="ach",
            status=PaymentStatus.SENT,
            amount_cents=amount_cents,
            pay_on=day,
            bank_account=account,
        )
        for _ in range(entries)
    )
    n = next(_numbers)
    record = AchFile.objects.create(
        biller=biller,
        filename=f"test-{biller.slug}-{n}.ach",
        effective_date=day,
        created_on=day,
        file_id_modifier="ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n % 26],
        created_at=datetime.combine(day, time(17), tzinfo=ZoneInfo(biller.time_zone)),
        sha256="0" * 64,
        size_bytes=0,
        entry_count=entries,
        batch_count=1,
        total_debit_cents=entries * amount_cents,
        total_credit_cents=0,
    )
    return AchEntry.objects.bulk_create(
        AchEntry(
            file=record,
            payment=payment,
            biller=biller,
            batch_number=1,
            sec_code=sec_code,
            trace_number=f"{n:08d}{index:07d}",
            amount_cents=amount_cents,
        )
        for index, payment in enumerate(payments)
    )


def return_entries(entries: Sequence[AchEntry], code: str, *, day: date, biller: Biller) -> None:
    """The bank returned ``entries`` with ``code``; imported on ``day`` (the biller's date)."""
    inbound = InboundFile.objects.create(sha256=f"{next(_numbers):064d}", filename="returns.ach", biller=biller)
    at = datetime.combine(day, time(10), tzinfo=ZoneInfo(biller.time_zone))
    AchReturn.objects.bulk_create(
        AchReturn(entry=entry, inbound=inbound, code=code, meaning=code, created_at=at) for entry in entries
    )
    Payment.objects.filter(pk__in=[entry.payment_id for entry in entries]).update(status=PaymentStatus.RETURNED)
