"""Working on many rows at once: ``batches`` (bounded slices, so no IN (…) or INSERT outgrows a
database's limit on parameters), ``require_ids`` (a bulk INSERT must hand back the new ids), and
``insert_rows`` (many rows in few INSERT statements, for the hot paths where ``bulk_create``
building and preparing a model per row costs more than the insert itself: the ACH export writes an
entry per payment, 100,000 in a file)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, TypeVar

from django.db import connection, models

# Columns whose values the database adapters take as they are: no field conversion on the hot paths.
AS_GIVEN = frozenset(
    {"AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "ForeignKey", "IntegerField"}
    | {"PositiveBigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "SmallIntegerField", "TextField"}
)
T = TypeVar("T")
IDS_PER_STATEMENT = 500  # ids per IN (…): well under SQLite's limit on query parameters


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``, in order."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Saved(Protocol):
    """A row just inserted (a model instance): all ``require_ids`` asks of it is its id."""

    @property
    def pk(self) -> Any: ...


def require_ids(rows: Sequence[Saved]) -> None:
    """Refuse to go on without the new rows' ids, which the rows that point at them need."""
    # PostgreSQL and SQLite ≥ 3.35 return the new ids from a bulk INSERT.
    if any(row.pk is None for row in rows):
        raise RuntimeError("The database did not return the ids of the new rows.")


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (one value per field of ``fields``, a foreign key by its id) into ``model``'s
    table, and every column without a database default: model defaults, ``save()`` and signals don't
    run. Numbers, strings, booleans and ids are written as given; dates, times, decimals and JSON go
    through their field's conversion, as ``save()`` would send them. On PostgreSQL one INSERT …
    SELECT FROM UNNEST of one array per column (as ``bulk_create`` does: a long VALUES list takes
    PostgreSQL longer to plan than to insert); elsewhere multi-row INSERTs within the database's
    limit on parameters."""
    if not rows:
        return
    meta = model._meta
    name = connection.ops.quote_name
    columns = [_field(model, field) for field in fields]
    converted = [(n, column) for n, column in enumerate(columns) if column.get_internal_type() not in AS_GIVEN]
    if converted:
        prepared = [list(row) for row in rows]
        for row in prepared:
            for n, column in converted:
                row[n] = column.get_db_prep_save(row[n], connection)
        rows = prepared
    # Every name comes from the model; every value is a parameter.
    into = f"INSERT INTO {name(meta.db_table)} ({', '.join(name(column.column) for column in columns)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Array types without their length (varchar[], not varchar(15)[]), as bulk_create writes them.
            arrays = ", ".join(f"(%s)::{str(column.db_type(connection)).split('(')[0]}[]" for column in columns)
            unnest = f"{into} SELECT * FROM UNNEST({arrays})"  # noqa: S608
            cursor.execute(unnest, [list(values) for values in zip(*rows, strict=True)])
            return
        limit = connection.features.max_query_params
        per_statement = max(1, limit // len(fields)) if limit else len(rows)
        one = f"({', '.join(['%s'] * len(fields))})"
        for chunk in batches(rows, per_statement):
            values = f"{into} VALUES {', '.join([one] * len(chunk))}"
            cursor.execute(values, [value for row in chunk for value in row])


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a column"
    return field
