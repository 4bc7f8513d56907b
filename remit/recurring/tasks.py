"""The worker's recurring invoices: every date that has come, issued once (safe to run any number of times)."""

from __future__ import annotations

from celery import shared_task

from remit.recurring.issuing import recurring_run


@shared_task
def recurring_issue_due_all() -> int:
    return len(recurring_run().issues)
