"""The figures `make loadtest` prints: percentiles, the measured window, /healthz apart, the goals."""

from __future__ import annotations

import pytest

from remit.bench.loadtest.report import HEALTHZ, Sample, goals, percentile, report, step, table


def test_percentile_interpolates_between_the_closest_ranks():
    values = [float(n) for n in range(1, 101)]  # 1 … 100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 100) == 100
    assert percentile(list(reversed(values)), 0) == 1


def test_percentile_of_one_value_and_of_none():
    assert percentile([42.0], 95) == 42.0
    assert percentile([], 95) == 0.0


def samples(name: str, times: list[float], *, at: float = 100.0, error: str = "") -> list[Sample]:
    return [Sample(at + n * 0.01, name, ms, error) for n, ms in enumerate(times)]


def test_a_step_counts_only_its_window_and_keeps_healthz_apart():
    before = samples("portal: home", [5000.0] * 10, at=10.0)  # the ramp-up: not measured
    home = samples("portal: home", [10.0] * 90 + [400.0] * 10)
    pdf = samples("portal: invoice PDF", [50.0] * 9, error="") + samples("portal: invoice PDF", [60.0], error="500")
    healthz = samples(HEALTHZ, [3.0] * 19 + [90.0])
    measured = step(50, [*before, *home, *pdf, *healthz], start=100.0, end=110.0, load=1.5)

    assert measured.scenario.requests == 110
    assert measured.scenario.per_second == pytest.approx(11.0)
    assert measured.scenario.errors == 1
    assert measured.healthz.requests == 20
    assert measured.healthz.p95 == pytest.approx(3 + (90 - 3) * 0.05)
    assert set(measured.routes) == {"portal: home", "portal: invoice PDF"}
    assert measured.routes["portal: home"].p99 == 400.0
    assert measured.errors == {("portal: invoice PDF", "500"): 1}


def test_the_goals_are_checked_at_50_users():
    fast = step(20, samples("portal: home", [10.0] * 100), start=100.0, end=110.0)
    slow = step(50, samples("portal: home", [10.0] * 90 + [500.0] * 9 + [900.0]), start=100.0, end=110.0)

    text = goals([fast, slow])

    assert "Goals at 50 users:" in text
    assert "p95 ≤ 300 ms" in text and "500 ms  MISS" in text
    assert "p99 ≤ 800 ms" in text and "504 ms  PASS" in text
    assert "0 errors" in text and "0  PASS" in text


def test_the_table_has_a_row_per_step_with_healthz_beside_it():
    steps = [
        step(20, samples("portal: home", [20.0] * 50) + samples(HEALTHZ, [4.0] * 10), start=100.0, end=110.0),
        step(50, samples("portal: home", [80.0] * 50, error="502"), start=100.0, end=110.0, load=3.25),
    ]
    rows = table(steps).splitlines()
    assert rows[0].startswith("| users | requests/s | p50 | p95 | p99 | errors | `/healthz` alone: p95")
    assert rows[2] == "| 20 | 5.0 | 20 ms | 20 ms | 20 ms | 0 of 50 | 4 ms | 1.0 | 0.00 |"
    assert rows[3] == "| 50 | 5.0 | 80 ms | 80 ms | 80 ms | 50 of 50 | 0 ms | 0.0 | 3.25 |"
    whole = report(steps)
    assert "Routes at 50 users, slowest p95 first:" in whole
    assert "50 × portal: home: 502" in whole
