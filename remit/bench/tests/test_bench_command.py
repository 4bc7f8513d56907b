"""`remit bench` builds its own throwaway database and works in a temporary folder: it needs nothing
of the configured database (which may not exist yet), writes nothing into `$REMIT_DATA_DIR`, and
leaves neither a database nor a folder behind, also when stopped with Ctrl-C. Each case runs
`remit bench` as a fresh process, as `make bench` does, with a few small benchmarks (the ones that
write files and start processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from remit.lib.env import new_secret_key

SMALL = ["--only", "ach,api,import,reminders", "--invoices", "20", "--import-rows", "10", "--reminder-invoices", "50"]
SMALL += ["--ach-payments", "20", "--ach-returns", "5", "--api-seconds", "0.5"]
POSTGRES = os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgres") else ""
on_postgresql = pytest.mark.skipif(not POSTGRES, reason="the suite runs on SQLite")


def bench_env(tmp_path: Path, **env: str) -> dict[str, str]:
    """A fresh, empty `$REMIT_DATA_DIR` and a temporary directory of its own. The secrets come from
    the environment, as in production, so that any file in the data folder afterwards is one the
    benchmarks wrote."""
    ours = ("REMIT_", "SECRET_KEY", "EMAIL_URL", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    (tmp_path / "data").mkdir()
    (tmp_path / "tmp").mkdir()
    return {
        **base,
        "REMIT_DATA_DIR": str(tmp_path / "data"),
        "TMPDIR": str(tmp_path / "tmp"),
        "SECRET_KEY": new_secret_key(),
        "REMIT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        **env,
    }


def missing_database() -> tuple[str, str]:
    """The URL of a database that does not exist on the suite's PostgreSQL server, and its name."""
    name = f"{POSTGRES.rsplit('/', 1)[1]}_nowhere_{uuid.uuid4().hex[:8]}"
    return f"{POSTGRES.rsplit('/', 1)[0]}/{name}", name


def databases_named(prefix: str) -> list[str]:
    with psycopg.connect(f"{POSTGRES.rsplit('/', 1)[0]}/postgres") as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"]).fetchall()
    return [row[0] for row in rows]


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if not path.is_dir())


def assert_no_trace(tmp_path: Path) -> None:
    assert files_under(tmp_path / "data") == []
    assert list((tmp_path / "tmp").iterdir()) == []  # the benchmark's temporary folder is gone too


def run_bench(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "remit", "bench", *SMALL]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=240, check=False)


def assert_measured(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    rows = ("ACH export, 20 scheduled payments", "Raw: the export's SELECT", "Import of a return file", "CSV import")
    for row in (*rows, "POST /api/v1/invoices", "Reminder round, 50 open invoices"):
        assert row in result.stdout
    assert "WRONG" not in result.stdout


def test_bench_on_sqlite_writes_nothing_into_the_data_folder(tmp_path):
    result = run_bench(bench_env(tmp_path))
    assert_measured(result)
    assert "Benchmarking on sqlite" in result.stderr
    assert_no_trace(tmp_path)


@on_postgresql
def test_bench_on_postgresql_needs_no_configured_database_and_touches_none(tmp_path):
    url, missing = missing_database()
    result = run_bench(bench_env(tmp_path, DATABASE_URL=url))
    assert_measured(result)
    assert f"Benchmarking on postgresql ({url.split('@')[-1]}_bench)" in result.stderr
    assert_no_trace(tmp_path)
    assert databases_named(missing) == []  # neither the configured database nor the throwaway one


def stop_with_its_run(process: subprocess.Popen[bytes]) -> None:
    """If the test failed with `remit bench` still running: its run too (a session of its own)."""
    if process.poll() is not None:
        return
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == process.pid:
                os.killpg(int(stat.parent.name), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            continue
    process.kill()
    process.wait()


def test_ctrl_c_drops_the_throwaway_database_and_removes_the_folder(tmp_path):
    url, missing = missing_database() if POSTGRES else ("", "")
    env = bench_env(tmp_path, DATABASE_URL=url) if url else bench_env(tmp_path)
    log = tmp_path / "bench.log"
    with log.open("w") as out:
        command = [sys.executable, "-m", "remit", "bench", "--only", "invoices", "--invoices", "10000000"]
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "Benchmarking on" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        if url:
            assert databases_named(missing) == [f"{missing}_bench"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130
    finally:
        stop_with_its_run(process)
    assert log.read_text().splitlines()[-2:] == [
        "Stopping the benchmarks (dropping their database)…",
        "remit: stopped.",
    ]
    assert_no_trace(tmp_path)
    if url:
        assert databases_named(missing) == []


def test_make_bench_does_not_migrate_the_configured_database():
    planned = subprocess.run(["make", "-n", "bench"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True)
    assert "remit bench" in planned.stdout
    assert "migrate" not in planned.stdout
