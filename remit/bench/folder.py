"""Where a benchmark run keeps what it writes: a temporary folder, removed when the run ends.

`remit bench` runs the benchmarks in a child process whose `REMIT_DATA_DIR` is that folder, so every
file Remit writes for them — NACHA and return files, mail, the cache, the task queue, development
secrets, a SQLite database — lands there, in that process and in each process it starts, and none
in the operator's folder (where an operator, or the bank upload, would find them). The run has no
`REDIS_URL` either: none of its tasks can reach the real worker, none of its counts the real cache.
Only the database server is shared, and there the run makes and drops a database of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType


def bench_environment(folder: Path) -> dict[str, str]:
    env = {**os.environ, "REMIT_DATA_DIR": str(folder), "EMAIL_URL": f"file://{folder / 'mail'}"}
    env.pop("REDIS_URL", None)
    return env


def run_in_temporary_folder(command: list[str]) -> int:
    """Run ``command`` (the benchmarks, told ``--folder``) in a new temporary folder; remove the
    folder however the run ends: done, failed, Ctrl-C or SIGTERM. Return the run's exit status."""
    folder = Path(tempfile.mkdtemp(prefix="remit-bench-"))
    try:
        # A session of its own: Ctrl-C reaches this process only, which passes it on once and waits
        # while the run cleans up (drops its database, stops its servers) instead of cutting it short.
        run = subprocess.Popen(
            [*command, "--folder", str(folder)], env=bench_environment(folder), start_new_session=True
        )
        return _wait(run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _wait(run: subprocess.Popen[bytes]) -> int:
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    asked = False
    try:
        while True:
            try:
                return run.wait()
            except KeyboardInterrupt:
                if not asked:
                    sys.stderr.write("Stopping the benchmarks (dropping their database)…\n")
                    run.send_signal(signal.SIGINT)
                    asked = True
    finally:
        signal.signal(signal.SIGTERM, previous)
