"""Making recurring invoices in tests, through the same action as the console's form."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.invoices.totals import Line
from remit.recurring.actions import TemplateFields, recurring_create
from remit.recurring.models import RecurringInvoice, RecurringIssue

NEW_YORK = ZoneInfo("America/New_York")


def at(day: date, hour: int = 10, zone: ZoneInfo = NEW_YORK) -> datetime:
    """A moment of ``day`` (10:00 in New York unless said otherwise), for time_machine."""
    return datetime.combine(day, time(hour), tzinfo=zone)


def fields(customer: Customer, **changes: Any) -> TemplateFields:
    values: dict[str, Any] = {
        "customer": customer,
        "frequency": "monthly",
        "start_on": date(2027, 3, 1),
        "lines": [Line("Managed hosting", Decimal(1), 25000), Line("Support hours", Decimal("2.5"), 4000)],
        "terms": "net_15",
        "tax_rate": Decimal(0),
        "memo": "Thank you for your business.",
        "delivery": "send",
    }
    return TemplateFields(**{**values, **changes})


def make_template(customer: Customer, actor: Any = None, **changes: Any) -> RecurringInvoice:
    return recurring_create(biller=customer.biller, actor=actor, fields=fields(customer, **changes))


def issued(issue: RecurringIssue) -> Invoice:
    """The invoice issued for a date (the test fails if there is none)."""
    assert issue.invoice is not None, f"nothing issued for {issue.scheduled_on}: {issue.status} {issue.note}"
    return issue.invoice
