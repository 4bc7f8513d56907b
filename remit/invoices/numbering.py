"""Invoice numbers: per biller, sequential, never repeated, no gaps from failed attempts.

The counter row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's write lock does the same)
in the transaction that creates the invoice, so a rolled-back invoice gives its number back and
two parallel creations get consecutive numbers. Numbers that imports brought in are skipped.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from remit.billers.models import Biller
from remit.invoices.models import Invoice, InvoiceCounter

NUMBER_SHAPE = r"[A-Za-z0-9][A-Za-z0-9\-_/.#]{0,39}"
NUMBER_PATTERN = re.compile(NUMBER_SHAPE)  # fullmatch: "$" would let a trailing newline through
NUMBER_RULE = "Use up to 40 letters, digits and - _ / . # for the invoice number."
DIGITS = 5


def format_number(prefix: str, number: int) -> str:
    return f"{prefix}{number:0{DIGITS}d}"


def _locked_counter(biller: Biller) -> InvoiceCounter:
    try:
        with transaction.atomic():
            InvoiceCounter.objects.get_or_create(biller=biller)
    except IntegrityError:
        pass  # another transaction created it a moment ago
    return InvoiceCounter.objects.select_for_update().get(biller=biller)


def take_numbers(biller: Biller, count: int = 1) -> list[str]:
    """Reserve ``count`` consecutive free numbers. Call inside the transaction that uses them."""
    counter = _locked_counter(biller)
    numbers: list[str] = []
    candidate = counter.next_number
    while len(numbers) < count:
        batch = [format_number(biller.invoice_prefix, n) for n in range(candidate, candidate + count - len(numbers))]
        taken = set(Invoice.objects.filter(biller=biller, number__in=batch).values_list("number", flat=True))
        numbers += [number for number in batch if number not in taken]
        candidate += len(batch)
    counter.next_number = candidate
    counter.save(update_fields=["next_number"])
    return numbers
