"""A quarter of the receivables cycle, day by day, with the worker's own periodic tasks and the clock
moved by time-machine (issue 15's quality bar): recurring invoices are issued each month; reminders
go on the right days except where a payment or Auto Pay covers the invoice; a partly covered invoice's
reminder says what is scheduled and what is left; payments are exported, settle, and their receipts
arrive; a credit lowers the next Auto Pay debit; and each customer's statement closes on invoices −
settled payments − credits, the invoices' own balances less unapplied credit.

Acme Supply Co. (New York) reminds 3 days before, on the day and 5 days after the due date. Globex pays
by hand; Initech has Auto Pay (2 days before the due date). Both get $350.00 on the 4th of January,
February and March, due on the 19th (net 15)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from remit.ach.actions import ach_settings_save
from remit.ach.tasks import ach_export_due, ach_settle_due
from remit.ach.tests.test_export import ach_fields
from remit.autopay.settings import autopay_save
from remit.autopay.tasks import autopay_sweep, send_autopay_notices
from remit.invoices.models import Invoice
from remit.notifications.actions import outbox_deliver_due
from remit.payments.actions import payment_schedule
from remit.payments.credits import credit_issue
from remit.payments.models import Credit, Payment, PaymentStatus, Receipt
from remit.recurring.tasks import recurring_issue_due_all
from remit.recurring.tests.helpers import make_template
from remit.reminders.settings import reminder_step_add
from remit.reminders.tasks import reminders_round
from remit.statements.gather import statement_for
from remit.test import make_bank_account, make_biller, make_customer, make_portal_user, parts

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
FIRST, LAST = date(2027, 1, 4), date(2027, 3, 31)
STEPS = {-3: "Coming due", 0: "Due today", 5: "Past due"}


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=NY)


def worker_day(day: date) -> None:
    """What the worker's schedule does in a day: the morning's rounds, and after the 16:00 cut-off the
    ACH file and settlement; the outbox delivers after each."""
    with time_machine.travel(at(day, 9), tick=False):
        recurring_issue_due_all()
        autopay_sweep()
        send_autopay_notices()
        reminders_round()
        outbox_deliver_due()
    with time_machine.travel(at(day, 17), tick=False):
        ach_export_due()
        ach_settle_due()
        outbox_deliver_due()


def quarter_world():
    with time_machine.travel(at(FIRST, 8), tick=False):
        acme, owner = make_biller("Acme Supply Co.")
        acme.time_zone = "America/New_York"
        acme.save(update_fields=["time_zone"])
        with transaction.atomic():
            ach_settings_save(biller=acme, actor=owner, fields=ach_fields())
            for offset, subject in STEPS.items():
                reminder_step_add(biller=acme, actor=owner, offset_days=offset, subject=subject, message="")
        globex = make_customer(acme, "Globex Corporation", email="ap@globex.example")
        globex_admin = make_portal_user(globex, email="ap@globex.example")
        globex_account = make_bank_account(globex_admin, number="123456789")
        initech = make_customer(acme, "Initech", email="ap@initech.example")
        initech_admin = make_portal_user(initech, email="ap@initech.example")
        initech_account = make_bank_account(initech_admin, number="987654321")
        with transaction.atomic():
            autopay_save(
                customer=initech,
                actor=initech_admin,
                enabled=True,
                max_cents=100_000,
                bank_account_id=initech_account.pk,
                days=2,
                when="before",
            )
        for customer in (globex, initech):
            make_template(customer, start_on=FIRST, count=3, terms="net_15")
    return acme, owner, globex, globex_admin, globex_account, initech


def step_of(message) -> str | None:
    """The reminder step an email is ("Coming due (invoice INV-00002)" → "Coming due"), if any."""
    subject = str(message["Subject"])
    return next((step for step in STEPS.values() if subject.startswith(f"{step} (invoice ")), None)


def test_a_quarter_of_invoices_reminders_payments_receipts_credits_and_statements(mailbox):
    acme, owner, globex, globex_admin, globex_account, initech = quarter_world()
    sent_on: dict[str, list[tuple[str, date]]] = {"ap@globex.example": [], "ap@initech.example": []}
    seen = 0
    day = FIRST
    while day <= LAST:
        if day == date(2027, 1, 20):  # Globex pays January's invoice the day after its due date
            with time_machine.travel(at(day, 10), tick=False):
                january = Invoice.objects.get(customer=globex, issue_date=date(2027, 1, 4))
                payment_schedule(
                    payer=globex_admin,
                    invoice_ids=[january.pk],
                    bank_account_id=globex_account.pk,
                    pay_on=date(2027, 1, 21),
                    total_cents=35000,
                )
        if day == date(2027, 2, 10):
            with time_machine.travel(at(day, 10), tick=False):
                # Globex schedules part of February's invoice for after its due date…
                february = Invoice.objects.get(customer=globex, issue_date=date(2027, 2, 4))
                payment_schedule(
                    payer=globex_admin,
                    invoice_ids=[february.pk],
                    bank_account_id=globex_account.pk,
                    pay_on=date(2027, 2, 26),
                    total_cents=10000,
                )
                # …and Acme gives Initech $50.00 of account credit (a late delivery).
                with transaction.atomic():
                    credit_issue(biller=acme, customer=initech, amount_cents=5000, reason="Late delivery", actor=owner)
        worker_day(day)
        mail = mailbox()
        for message in mail[seen:]:
            step = step_of(message)
            if step is not None:
                sent_on[message["To"]].append((step, day))
        seen = len(mail)
        day += timedelta(days=1)

    # Three invoices each, issued on the 4th, due on the 19th.
    for customer in (globex, initech):
        issued = Invoice.objects.filter(customer=customer).order_by("issue_date")
        assert [(i.issue_date, i.due_date, i.total_cents) for i in issued] == [
            (date(2027, m, 4), date(2027, m, 19), 35000) for m in (1, 2, 3)
        ]

    # Globex: January's invoice is reminded before and on its due date, then covered by its payment;
    # February's goes on all three days (only part of it is scheduled); March's is not paid.
    assert sent_on["ap@globex.example"] == [
        ("Coming due", date(2027, 1, 16)),
        ("Due today", date(2027, 1, 19)),
        ("Coming due", date(2027, 2, 16)),
        ("Due today", date(2027, 2, 19)),
        ("Past due", date(2027, 2, 24)),
        ("Coming due", date(2027, 3, 16)),
        ("Due today", date(2027, 3, 19)),
        ("Past due", date(2027, 3, 24)),
    ]
    # Initech's invoices are all covered by Auto Pay: no reminder, ever.
    assert sent_on["ap@initech.example"] == []

    # The partly covered invoice's reminder says what is scheduled and what is left.
    [coming] = [
        m for m in mailbox() if m["To"] == "ap@globex.example" and m["Subject"] == "Coming due (invoice INV-00003)"
    ]
    text = " ".join(parts(coming)["text/plain"].split())
    assert "Scheduled: $100.00 on February 26, 2027" in text
    assert "Left to pay: $250.00" in text
    assert "/pay" in text  # the Pay Invoice Electronically link

    # Every payment settled, each with one receipt, emailed to its payer with the PDF.
    payments = Payment.objects.filter(biller=acme).order_by("pay_on", "pk")
    assert all(p.status == PaymentStatus.SETTLED for p in payments)
    assert Receipt.objects.filter(payment__in=payments).count() == payments.count()
    receipts = [m for m in mailbox() if m["Subject"].startswith("Receipt R-")]
    assert len(receipts) == payments.count()
    globex_receipts = sorted(m["Subject"] for m in receipts if m["To"] == "ap@globex.example")
    assert sorted(s.split(": ", 1)[1] for s in globex_receipts) == [
        "Acme Supply Co. received your payment of $100.00",
        "Acme Supply Co. received your payment of $350.00",
    ]
    assert all(any(part.get_content_type() == "application/pdf" for part in m.walk()) for m in receipts)

    # Initech's credit lowered the Auto Pay debit that came next (February's), and only that one.
    autopaid = [(p.pay_on, p.amount_cents) for p in payments.filter(customer=initech, is_autopay=True)]
    # Two banking days before the 19th: January's skips Martin Luther King Jr. Day (Monday the 18th).
    assert autopaid == [(date(2027, 1, 14), 35000), (date(2027, 2, 17), 30000), (date(2027, 3, 17), 35000)]
    assert Credit.objects.get(customer=initech).unapplied_cents == 0

    # The statement of the quarter: invoices − settled payments − credits, and the same as the books.
    for customer, closing in ((globex, 3 * 35000 - 35000 - 10000), (initech, 0)):
        with time_machine.travel(at(LAST, 20), tick=False):
            statement = statement_for(customer, start=date(2027, 1, 1), end=LAST)
        invoiced = sum(i.total_cents for i in Invoice.objects.filter(customer=customer))
        settled = sum(p.amount_cents for p in Payment.objects.filter(customer=customer, status=PaymentStatus.SETTLED))
        credited = sum(c.amount_cents for c in Credit.objects.filter(customer=customer))
        assert statement.opening_cents == 0
        assert statement.closing_cents == invoiced - settled - credited == closing
        owed = sum(i.balance_cents for i in Invoice.objects.filter(customer=customer))
        assert statement.closing_cents == owed - sum(
            c.unapplied_cents for c in Credit.objects.filter(customer=customer)
        )
        assert statement.aging.total_cents == closing
