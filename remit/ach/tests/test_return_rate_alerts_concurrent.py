"""Two checks of one biller at the same moment (the worker and `remit ach return-rates`): the biller's
row lock makes the second wait and find the crossings open, so the owners get one email."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections

from remit.ach.models import ReturnRateCrossing
from remit.ach.return_rate_alerts import return_rates_check
from remit.ach.tests.rates_data import originate, return_entries
from remit.notifications.models import OutboundEmail
from remit.test import make_biller, make_customer

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = date(2026, 6, 30)


def test_two_checks_at_once_email_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between threads need PostgreSQL (SQLite runs one writer at a time anyway)")
    biller, _ = make_biller("Acme Supply Co.")
    customer = make_customer(biller, "Globex")
    sent = originate(biller, customer, day=TODAY, entries=20)
    return_entries(sent[:3], "R01", day=TODAY, biller=biller)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def check() -> None:
        try:
            start.wait()
            return_rates_check(biller=biller, day=TODAY)
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert OutboundEmail.objects.filter(subject__contains="threshold").count() == 1
    assert ReturnRateCrossing.objects.count() == 6
