"""What Remit says when a server it needs is out of reach — the database, Redis, the task queue: one
line that names it, where it was looked for (never with a password) and why, e.g.
``can't reach the database at 127.0.0.1:5432 (database "remit" does not exist)``.

The `remit` command prints it instead of a traceback; the places that hand work to the worker log
it when the queue is down. Any other error is not this module's business: it returns None for them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import InterfaceError, OperationalError

# psycopg's preamble, already said by the address: `connection failed: connection to server at
# "127.0.0.1", port 5432 failed: FATAL:  database "x" does not exist`.
PSYCOPG_PREAMBLE = re.compile(
    r'^(connection failed: )?(connection to server at "[^"]*"( \([^)]*\))?, port \d+ failed: )?'
)
PSYCOPG_HINT = "Is the server running"


def unreachable(error: BaseException) -> str | None:
    """The line for ``error`` when it means a server is out of reach; None for any other error. For a
    database error, it tries to connect again to tell: call it only once the work has failed."""
    import kombu.exceptions
    import redis.exceptions

    if isinstance(error, OperationalError | InterfaceError):
        return _database_out_of_reach()
    if isinstance(error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return f"can't reach Redis at {address(settings.REDIS_URL)} ({_one_line(error)})"
    if isinstance(error, kombu.exceptions.OperationalError):
        queue = "the task queue (Redis)" if settings.CELERY_BROKER_URL.startswith("redis") else "the task queue"
        return f"can't reach {queue} at {address(settings.CELERY_BROKER_URL)} ({_one_line(error)})"
    return None


def database_address() -> str:
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return str(db["NAME"])
    return f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"


def address(url: str) -> str:
    """``host:port`` of a server's URL (a file's path for the SQLite queue), without its password."""
    parts = urlsplit(url)
    if parts.hostname:
        return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    return parts.path[1:] if parts.path.startswith("//") else parts.path  # sqla+sqlite:////abs/path


def _database_out_of_reach() -> str | None:
    """Why the database cannot be reached now, or None when it answers: then the error was about
    something else (a lock timeout, a missing table) and deserves its traceback. Asked afresh because
    by the time a command's error arrives here, Django has closed its connection."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        return None  # someone's transaction is still open: not a moment to reconnect
    try:
        connection.close()
        connection.ensure_connection()
    except (OperationalError, InterfaceError) as error:
        return f"can't reach the database at {database_address()} ({_database_reason(error)})"
    finally:
        connection.close()
    return None


def _database_reason(error: BaseException) -> str:
    lines = [PSYCOPG_PREAMBLE.sub("", line.strip()) for line in str(error).splitlines()]
    lines = [re.sub(r"^FATAL:\s+", "", line) for line in lines if line and not line.startswith(PSYCOPG_HINT)]
    return " ".join(lines) or type(error).__name__


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
