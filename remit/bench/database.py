"""A throwaway database for benchmarks, made on the configured server (or in the run's folder, for
SQLite) and dropped afterwards. The configured database itself is never opened: it need not exist."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


@contextmanager
def bench_database(folder: Path, *, suffix: str = "_bench") -> Iterator[str]:
    """Create an empty, migrated database and yield its URL: on PostgreSQL ``<configured name><suffix>``,
    created through the server's maintenance database (``postgres``); on SQLite a file in ``folder``."""
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    name = str(folder / "bench.sqlite3") if connection.vendor == "sqlite" else f"{old_name}{suffix}"
    connection.settings_dict["TEST"] = {**connection.settings_dict.get("TEST", {}), "NAME": name}
    try:
        with warnings.catch_warnings():
            # Django warns when the maintenance database is out of reach and it falls back to the
            # configured one; if that fails too, `remit` says in one line what it could not reach.
            warnings.filterwarnings("ignore", message="Normally Django will use a connection to the 'postgres'")
            creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        yield database_url(name)
    finally:
        # Only once Django has switched to the throwaway database: before that, "the test database"
        # would be the configured one.
        if connection.settings_dict["NAME"] == name:
            creation.destroy_test_db(old_name, verbosity=0)


def database_url(name: str) -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
