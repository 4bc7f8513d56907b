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
from typing import Any


def bench_environment(folder: Path) -> dict[str, str]:
    env = {**os.environ, "REMIT_DATA_DIR": str(folder), "EMAIL_URL": f"file://{folder / 'mail'}"}
    env.pop("REDIS_URL", None)
    return env


def run_in_temporary_folder(command: list[str]) -> int:
    """Run ``command`` (the benchmarks, told ``--folder``) in a new temporary folder; remove the
    folder however the run ends: done, failed, Ctrl-C or SIGTERM. Return the run's exit status."""
    folder = Path(tempfile.mkdtemp(prefix="remit-bench-"))
    try:
        # A session of its own: Ctrl-C reaches this process only, which passes it on and waits
        # while the run cleans up (drops its database, stops its servers) instead of cutting it short.
        run = subprocess.Popen(
            [*command, "--folder", str(folder)], env=bench_environment(folder), start_new_session=True
        )
        return _wait(run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _wait(run: subprocess.Popen[bytes]) -> int:
    """The run's exit status. Each Ctrl-C (or SIGTERM) here is passed on to the run as SIGINT."""

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
                    asked = True
                run.send_signal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)


def keep_interrupts() -> None:
    """In the run: Python drops a KeyboardInterrupt that lands in a finalizer (a weakref.finalize or
    __del__ that the garbage collector runs, as it does often while seeding) and goes on. Raise it
    again a moment later, out of the finalizer, so that one Ctrl-C always stops the run."""
    previous = sys.unraisablehook

    def again(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            signal.setitimer(signal.ITIMER_REAL, 0.05)
        else:
            previous(unraisable)

    signal.signal(signal.SIGALRM, again)
    sys.unraisablehook = hook
