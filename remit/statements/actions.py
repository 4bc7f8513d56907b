"""Every write of statements: the monthly switch, a statement emailed by hand, and the monthly run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.customers.models import Customer
from remit.notifications.actions import email_send_optional
from remit.notifications.categories import EmailCategory
from remit.statements.core import Statement, StatementError, month_before
from remit.statements.gather import statement_for
from remit.statements.models import MonthlyStatements, StatementEvent
from remit.statements.pdf import statement_pdf
from remit.users.models import User

log = logging.getLogger(__name__)

# A monthly run that missed the 1st (the worker was down) still sends last month's statements on
# the days after it, up to this day of the month.
MONTHLY_CATCH_UP_UNTIL_DAY = 3


def pay_link(biller: Biller) -> str:
    """The portal's Pay Outstanding Bills page (sign-in first, if need be)."""
    return biller.portal_url("pay-bills/")


def statement_filename(customer: Customer, statement: Statement) -> str:
    who = customer.reference or f"customer-{customer.pk}"
    return f"statement-{who}-{statement.start:%Y-%m-%d}-{statement.end:%Y-%m-%d}.pdf"


@transaction.atomic
def monthly_statements_set(*, customer: Customer, enabled: bool, actor: User | None) -> MonthlyStatements:
    """Turn a customer's monthly statements on or off (recorded; setting it as it is changes nothing)."""
    setting, _ = MonthlyStatements.objects.select_for_update().get_or_create(customer=customer)
    if setting.enabled == enabled:
        return setting
    setting.enabled = enabled
    setting.changed_at = timezone.now()
    setting.save()
    StatementEvent.objects.create(
        customer=customer,
        actor=actor,
        kind=StatementEvent.Kind.MONTHLY_ON if enabled else StatementEvent.Kind.MONTHLY_OFF,
    )
    return setting


def _send(*, customer: Customer, statement: Statement, monthly: bool) -> list[str]:
    """Write the statement email (one per billing address, the PDF attached) to the outbox."""
    biller = customer.biller
    recipients = list(customer.billing_emails)
    email_send_optional(
        to=recipients,
        category=EmailCategory.STATEMENTS,
        template="statement",
        biller=biller,
        context={"customer": customer, "statement": statement, "pay_url": pay_link(biller), "monthly": monthly},
        attachments=[
            (
                statement_filename(customer, statement),
                statement_pdf(biller=biller, customer=customer, statement=statement),
                "application/pdf",
            )
        ],
    )
    return recipients


@transaction.atomic
def statement_email(*, customer: Customer, start: date | None, end: date | None, actor: User | None) -> StatementEvent:
    """Email the customer's statement for the period to its billing addresses, with the Pay link."""
    customer = Customer.objects.select_related("biller").get(pk=customer.pk)
    statement = statement_for(customer, start=start, end=end)
    if not customer.billing_emails:
        raise StatementError(f"{customer.name} has no billing email address. Add one to the customer first.")
    recipients = _send(customer=customer, statement=statement, monthly=False)
    return StatementEvent.objects.create(
        customer=customer,
        actor=actor,
        kind=StatementEvent.Kind.EMAILED,
        period_start=statement.start,
        period_end=statement.end,
        recipients=recipients,
        closing_cents=statement.closing_cents,
    )


@dataclass
class MonthlyReport:
    sent: list[int] = field(default_factory=list)  # customer ids
    skipped: list[int] = field(default_factory=list)  # already sent (another worker, a re-run)


def monthly_statements_send(*, now: datetime | None = None) -> MonthlyReport:
    """Send last month's statement to each customer with monthly statements on, on the 1st in its
    biller's time zone (or the days just after, if the run missed it). Once per customer and month:
    the ``monthly_statement_once`` constraint refuses a second record, and the email is written in the
    same transaction as the record, so two workers or a re-run never send it twice."""
    report = MonthlyReport()
    customers = (
        Customer.objects.filter(monthly_statements__enabled=True, archived_at__isnull=True)
        .exclude(billing_emails=[])
        .select_related("biller")
        .order_by("biller_id", "pk")
    )
    sent_before: dict[tuple[int, date], set[int]] = {}
    for customer in customers:
        today = customer.biller.today(now)
        if today.day > MONTHLY_CATCH_UP_UNTIL_DAY:
            continue
        start, end = month_before(today)
        key = (customer.biller_id, start)
        if key not in sent_before:  # one query per biller and month, not one per customer
            sent_before[key] = set(
                StatementEvent.objects.filter(
                    customer__biller_id=customer.biller_id, kind=StatementEvent.Kind.MONTHLY_SENT, period_start=start
                ).values_list("customer_id", flat=True)
            )
        if customer.pk in sent_before[key]:
            report.skipped.append(customer.pk)
            continue
        if _send_monthly(customer=customer, start=start, end=end):
            report.sent.append(customer.pk)
        else:
            report.skipped.append(customer.pk)
    return report


def _send_monthly(*, customer: Customer, start: date, end: date) -> bool:
    try:
        with transaction.atomic():
            event = StatementEvent.objects.create(
                customer=customer, kind=StatementEvent.Kind.MONTHLY_SENT, period_start=start, period_end=end
            )
            statement = statement_for(customer, start=start, end=end)
            event.recipients = _send(customer=customer, statement=statement, monthly=True)
            event.closing_cents = statement.closing_cents
            event.save(update_fields=["recipients", "closing_cents"])
    except IntegrityError:
        log.info("Monthly statement of customer %s for %s was already sent", customer.pk, start)
        return False
    return True
