from __future__ import annotations

from celery import shared_task

from remit.statements.actions import monthly_statements_send


@shared_task
def monthly_statements_due() -> int:
    """Hourly: last month's statements to the customers who get one, on the 1st in each biller's time zone."""
    return len(monthly_statements_send().sent)
