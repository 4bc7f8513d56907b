"""Per-biller counters for gap-free numbers (invoices, receipts, credit notes).

A counter row is advanced with one ``UPDATE … RETURNING`` in the transaction that uses the numbers:
the row stays locked until that transaction ends, so numbers are never repeated, another transaction
wanting numbers waits, and a rollback gives its numbers back (no gap). The row is made on first use.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, models, transaction


def advance_counter(counter: type[models.Model], *, biller_id: int, count: int = 1) -> int:
    """Move the biller's ``counter`` (a model with ``biller`` and ``next_number``) on by ``count``;
    returns the first of the ``count`` numbers taken."""
    table = connection.ops.quote_name(counter._meta.db_table)
    for attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET next_number = next_number + %s WHERE biller_id = %s "  # noqa: S608
                "RETURNING next_number",
                [count, biller_id],
            )
            row = cursor.fetchone()
        if row is not None:
            return int(row[0]) - count
        if attempt == 0:
            try:
                with transaction.atomic():
                    counter._default_manager.create(biller_id=biller_id)
            except IntegrityError:
                pass  # another transaction made it a moment ago
    raise RuntimeError(f"The {counter._meta.verbose_name} of biller {biller_id} can't be found.")
