"""Invoice numbers: per biller, sequential, never repeated, no gaps from failed attempts.

The biller's counter row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's write lock does the
same) and advanced in the transaction that creates the invoices, so a rolled-back creation gives its
numbers back: the counter's update is rolled back with it, and no other transaction can have taken
a later number meanwhile, because it waited for the lock. Numbers that imports or people brought in
are skipped.

The lock is held until the commit, so creations of one biller are serialised for as long as they
hold it. ``invoices_create`` therefore takes the numbers as the last step of its transaction: the
invoices are inserted under a placeholder number, their lines, events, webhooks and Auto Pay's work
are written, and only then is the counter locked, advanced and the numbers written in. Only the
``invoice.created`` webhooks and Auto Pay (whose payment webhooks carry the number) follow before the
commit: for an invoice of a customer without Auto Pay the lock is held for four short statements and
the commit (twelve before), not for the whole creation. (Taking numbers in a
separate, earlier transaction would not do: a creation that then failed would leave a gap.)
"""

from __future__ import annotations

import re

from django.db import connection

from remit.billers.models import Biller
from remit.invoices.models import InvoiceCounter
from remit.ledger.counters import advance_counter

NUMBER_SHAPE = r"[A-Za-z0-9][A-Za-z0-9\-_/.#]{0,39}"
NUMBER_PATTERN = re.compile(NUMBER_SHAPE)  # fullmatch: "$" would let a trailing newline through
NUMBER_RULE = "Use up to 40 letters, digits and - _ / . # for the invoice number."
DIGITS = 5
CANDIDATES_PER_QUERY = 10_000  # numbers checked against the biller's invoices with one IN (…)


def format_number(prefix: str, number: int) -> str:
    return f"{prefix}{number:0{DIGITS}d}"


def _advance(biller: Biller, count: int) -> int:
    """Lock the biller's counter and move it on by ``count``; returns the first number moved past."""
    return advance_counter(InvoiceCounter, biller_id=biller.pk, count=count)


def take_numbers(biller: Biller, count: int = 1) -> list[str]:
    """Reserve ``count`` consecutive free numbers. Call inside the transaction that uses them, as
    late in it as possible (the counter stays locked until it ends)."""
    numbers: list[str] = []
    while len(numbers) < count:
        wanted = min(count - len(numbers), CANDIDATES_PER_QUERY)
        start = _advance(biller, wanted)
        batch = [format_number(biller.invoice_prefix, n) for n in range(start, start + wanted)]
        taken = _used(biller, batch)
        numbers += [number for number in batch if number not in taken]
    return numbers


def _used(biller: Biller, numbers: list[str]) -> set[str]:
    # Plain SQL: the lock is held meanwhile, and the ORM's query took four times its round trip.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT number FROM invoices_invoice WHERE biller_id = %s "  # noqa: S608 (only placeholders)
            f"AND number IN ({', '.join(['%s'] * len(numbers))})",
            [biller.pk, *numbers],
        )
        return {number for (number,) in cursor.fetchall()}
