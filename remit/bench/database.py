"""A throwaway database for benchmarks, created next to the configured one and dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def bench_database() -> Iterator[str]:
    """Create an empty, migrated database (``test_…`` / a file beside the SQLite one); yield its URL."""
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"] = {
            **connection.settings_dict.get("TEST", {}),
            "NAME": str(old_name).replace(".sqlite3", "-bench.sqlite3"),
        }
    else:
        connection.settings_dict["TEST"] = {**connection.settings_dict.get("TEST", {}), "NAME": f"{old_name}_bench"}
    name = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield database_url(name)
    finally:
        creation.destroy_test_db(old_name, verbosity=0)


def database_url(name: str) -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
