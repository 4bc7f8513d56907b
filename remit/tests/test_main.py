"""The `remit` command as an operator meets it: its own list of commands, and one line — never a
traceback — when a server it needs is out of reach. Each case is a fresh `remit` process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import free_port
from remit.commands import GROUPS
from remit.test import child_env

DJANGOS_OWN = ("startapp", "squashmigrations", "makemessages", "testserver")
POSTGRES = os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgres") else ""


def remit(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "remit", *args]
    return subprocess.run(command, env=child_env(**env), capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("args", [[], ["help"], ["--help"], ["-h"]])
def test_remit_help_lists_remits_own_commands_by_group(args):
    result = remit(*args)
    assert result.returncode == 0, result.stderr
    for group, commands in GROUPS:
        assert f"\n{group}:\n" in result.stdout
        for usage, _ in commands:
            assert f"  {usage}" in result.stdout
    assert "remit help --all" in result.stdout
    assert not [name for name in DJANGOS_OWN if name in result.stdout]


@pytest.mark.parametrize("args", [["help", "--all"], ["--help", "--all"]])
def test_help_all_still_reaches_djangos_list(args):
    result = remit(*args)
    assert result.returncode == 0, result.stderr
    assert all(name in result.stdout for name in DJANGOS_OWN)
    assert "rotate_keys" in result.stdout


def test_a_commands_own_help_is_djangos():
    result = remit("rotate-keys", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: remit rotate_keys")
    assert "--batch-size" in result.stdout
    assert remit("help", "rotate-keys").stdout == result.stdout


def assert_one_line(result: subprocess.CompletedProcess[str], line: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [line], result.stderr


@pytest.mark.parametrize(
    "command", [["demo"], ["migrate"], ["ach", "export"], ["outbox", "status"], ["run"], ["bench", "--only", "ach"]]
)
def test_a_database_server_out_of_reach_is_one_line_without_the_password(command):
    port = free_port()  # nothing listens there
    result = remit(*command, DATABASE_URL=f"postgres://remit:sekrit-pw@127.0.0.1:{port}/remit")
    assert_one_line(result, f"remit: can't reach the database at 127.0.0.1:{port} (Connection refused)")


@pytest.mark.skipif(not POSTGRES, reason="the suite runs on SQLite")
def test_a_database_that_does_not_exist_is_one_line():
    server = POSTGRES.rsplit("/", 1)[0]
    result = remit("outbox", "status", DATABASE_URL=f"{server}/wt_nowhere_to_be_found")
    address = server.split("@")[-1]
    assert_one_line(
        result, f'remit: can\'t reach the database at {address} (database "wt_nowhere_to_be_found" does not exist)'
    )


def test_a_sqlite_file_out_of_reach_is_one_line(tmp_path):
    path = tmp_path / "no such folder" / "remit.sqlite3"
    result = remit("outbox", "status", DATABASE_URL=f"sqlite:///{path}")
    assert_one_line(result, f"remit: can't reach the database at {path} (unable to open database file)")


def test_a_database_error_that_is_not_about_reach_keeps_its_traceback(tmp_path):
    empty = tmp_path / "empty.sqlite3"  # reachable, never migrated
    result = remit("outbox", "status", DATABASE_URL=f"sqlite:///{empty}")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "no such table" in result.stderr
    assert "can't reach" not in result.stderr


@pytest.mark.django_db(transaction=True)
def test_with_redis_and_the_mail_server_out_of_reach_commands_say_so_in_one_line_each(tmp_path):
    redis_port, smtp_port = free_port(), free_port()
    data = str(tmp_path)  # the demo's NACHA file goes there
    demo = remit("demo", REMIT_DATA_DIR=data, REDIS_URL=f"redis://:sekrit-pw@127.0.0.1:{redis_port}/15")
    assert demo.returncode == 0, demo.stderr
    assert "Traceback" not in demo.stderr and "sekrit-pw" not in demo.stderr
    warnings = [line for line in demo.stderr.splitlines() if "Could not queue" in line]
    assert warnings and all(
        f"can't reach the task queue (Redis) at 127.0.0.1:{redis_port} (Error 111 connecting" in line
        and line.endswith("the worker's periodic sweep will do it.")
        for line in warnings
    ), demo.stderr
    deliver = remit(
        "outbox", "deliver", REMIT_DATA_DIR=data, EMAIL_URL=f"smtp://mailer:sekrit-pw@127.0.0.1:{smtp_port}"
    )
    assert deliver.returncode == 1  # nothing delivered: the emails wait for the next attempt
    assert "Traceback" not in deliver.stderr and "sekrit-pw" not in deliver.stderr
    assert "Connection refused (will be retried)" in deliver.stdout + deliver.stderr
