"""Settlement: a sent payment that no return came back for within the biller's settlement days
(banking days after its effective date) is settled, and its invoices count it as paid."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from remit.ach.models import AchSettings
from remit.lib.banking_days import add_banking_days
from remit.lib.bulk import batches
from remit.payments.actions import payments_settle
from remit.payments.models import Payment, PaymentMethod, PaymentStatus

CHUNK = 500


def settled_through(today: date, settlement_days: int) -> date:
    """The latest effective date whose payments are settled by ``today``."""
    return add_banking_days(today, -settlement_days)


def ach_settle(*, today: date | None = None) -> int:
    """Settle every biller's payments that are due to settle. Safe to run any number of times."""
    today = today or timezone.localdate()
    settled = 0
    for ach in AchSettings.objects.all():
        through = settled_through(today, ach.settlement_days)
        ids = list(
            Payment.objects.filter(
                biller_id=ach.biller_id, method=PaymentMethod.ACH, status=PaymentStatus.SENT, pay_on__lte=through
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for batch in batches(ids, CHUNK):
            with transaction.atomic():
                settled += payments_settle(
                    batch,
                    note=f"No return within {ach.settlement_days} banking days of the effective date",
                    settled_on=today,
                )
    return settled
