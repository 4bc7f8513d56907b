"""The figures of `make loadtest` from the requests the scenario timed: per step (users), requests per
second, p50/p95/p99, errors and ``/healthz``'s p95 measured at the same time; the goals of issue 16
beside them; the slowest routes. Pure: samples in, text out."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

HEALTHZ = "/healthz"
# Issue 16, "Fast under load": at 50 users.
GOALS_AT_USERS = 50
P95_GOAL_MS = 300.0
P99_GOAL_MS = 800.0


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the epoch
    name: str  # the route's name in the scenario ("portal: home")
    ms: float
    error: str = ""  # what went wrong; empty when the request succeeded

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class Figures:
    requests: int
    per_second: float
    p50: float
    p95: float
    p99: float
    errors: int
    max: float = 0.0


@dataclass(frozen=True)
class Step:
    users: int
    scenario: Figures
    healthz: Figures
    routes: dict[str, Figures]
    errors: dict[tuple[str, str], int]  # (route, what went wrong): how often
    load: float  # the machine's 1-minute load average at the end of the step
    # CPU milliseconds per request (every request of the step's run, /healthz too), by process group.
    cpu_ms: dict[str, float] = field(default_factory=dict)


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100) with linear interpolation between the closest ranks (what
    numpy and spreadsheets call "linear"); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def figures(samples: Sequence[Sample], seconds: float) -> Figures:
    times = [sample.ms for sample in samples]
    return Figures(
        requests=len(samples),
        per_second=len(samples) / seconds if seconds > 0 else 0.0,
        p50=percentile(times, 50),
        p95=percentile(times, 95),
        p99=percentile(times, 99),
        errors=sum(not sample.ok for sample in samples),
        max=max(times, default=0.0),
    )


def step(
    users: int,
    samples: Sequence[Sample],
    *,
    start: float,
    end: float,
    load: float = 0.0,
    cpu_seconds: dict[str, float] | None = None,
) -> Step:
    """The figures of the samples timed between ``start`` and ``end`` (after the ramp-up)."""
    window = [sample for sample in samples if start <= sample.at <= end]
    seconds = end - start
    scenario = [sample for sample in window if sample.name != HEALTHZ]
    names = sorted({sample.name for sample in scenario})
    return Step(
        users=users,
        scenario=figures(scenario, seconds),
        healthz=figures([sample for sample in window if sample.name == HEALTHZ], seconds),
        routes={name: figures([s for s in scenario if s.name == name], seconds) for name in names},
        errors=dict(Counter((s.name, s.error) for s in window if not s.ok).most_common()),
        load=load,
        cpu_ms={group: 1000 * seconds / len(samples) for group, seconds in (cpu_seconds or {}).items() if samples},
    )


def ms(value: float) -> str:
    return f"{value:,.0f} ms"


def table(steps: Sequence[Step]) -> str:
    """The issue's table, one row per step, in Markdown."""
    lines = [
        "| users | requests/s | p50 | p95 | p99 | errors | `/healthz` alone: p95 | `/healthz` requests/s | load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in steps:
        f = s.scenario
        lines.append(
            f"| {s.users} | {f.per_second:.1f} | {ms(f.p50)} | {ms(f.p95)} | {ms(f.p99)} | {f.errors} of "
            f"{f.requests:,} | {ms(s.healthz.p95)} | {s.healthz.per_second:.1f} | {s.load:.2f} |"
        )
    return "\n".join(lines)


def goals(steps: Sequence[Step]) -> str:
    """PASS or MISS for each goal, at the step with the goals' number of users (else the largest)."""
    if not steps:
        return "No step ran: no goals to check."
    at = next((s for s in steps if s.users == GOALS_AT_USERS), max(steps, key=lambda s: s.users))
    f = at.scenario
    checks = [
        (f"p95 ≤ {ms(P95_GOAL_MS)}", ms(f.p95), f.p95 <= P95_GOAL_MS),
        (f"p99 ≤ {ms(P99_GOAL_MS)}", ms(f.p99), f.p99 <= P99_GOAL_MS),
        ("0 errors", str(f.errors), f.errors == 0),
    ]
    lines = [f"Goals at {at.users} users:"]
    lines += [f"  {goal:<14} {got:>10}  {'PASS' if ok else 'MISS'}" for goal, got, ok in checks]
    return "\n".join(lines)


def slowest_routes(one: Step, *, limit: int = 12) -> str:
    """The step's routes, slowest p95 first."""
    routes = sorted(one.routes.items(), key=lambda item: item[1].p95, reverse=True)[:limit]
    width = max((len(name) for name, _ in routes), default=5)
    lines = [
        f"Routes at {one.users} users, slowest p95 first:",
        f"  {'route'.ljust(width)}  {'requests':>8}  {'p50':>8}  {'p95':>8}  {'p99':>8}  {'max':>8}  errors",
    ]
    for name, f in routes:
        lines.append(
            f"  {name.ljust(width)}  {f.requests:>8}  {ms(f.p50):>8}  {ms(f.p95):>8}  {ms(f.p99):>8}  "
            f"{ms(f.max):>8}  {f.errors}"
        )
    lines += [f"  {count} × {name}: {error}" for (name, error), count in list(one.errors.items())[:8]]
    if one.cpu_ms:
        spent = ", ".join(f"{group} {ms:.1f} ms" for group, ms in one.cpu_ms.items())
        lines.append(f"CPU per request at {one.users} users (load average {one.load:.2f}): {spent}")
    return "\n".join(lines)


def report(steps: Sequence[Step]) -> str:
    parts = [table(steps), "", goals(steps)]
    parts += ["\n" + slowest_routes(s) for s in steps]
    return "\n".join(parts) + "\n"
