"""CPU seconds used by process trees, read from Linux's /proc: how much of the machine the web
instances, the worker, PostgreSQL's backends for the run and locust itself took during a step. Busy
neighbours make latencies noisy; CPU per request is what a change to Remit moves."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def processes() -> dict[int, tuple[int, float, str]]:
    """Every process: pid → (parent pid, CPU seconds so far, command line)."""
    found: dict[int, tuple[int, float, str]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) "
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, cmdline)
    return found


def tree_seconds(roots: list[int], table: dict[int, tuple[int, float, str]]) -> float:
    """CPU seconds of ``roots`` and all their descendants."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, pending = 0.0, list(roots)
    while pending:
        pid = pending.pop()
        if pid in table:
            total += table[pid][1]
            pending += children.get(pid, [])
    return total


def matching_seconds(text: str, table: dict[int, tuple[int, float, str]]) -> float:
    """CPU seconds of the processes whose command line contains ``text`` (PostgreSQL's backends show
    their database's name)."""
    return sum(seconds for _, seconds, cmdline in table.values() if text in cmdline)
