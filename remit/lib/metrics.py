"""Prometheus's text exposition format, and the request latencies one process has measured.

No client library: the few series Remit exposes are written here. The latency histogram lives in
this process's memory (each web process, e.g. each gunicorn worker, counts the requests it served
and answers ``/metrics`` with its own figures); the gauges are read from the database when
``/metrics`` is asked (``site/metrics.py``)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Seconds: from a fast page to a slow PDF, and the load test's p95/p99 goals (0.3 s, 0.8 s).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 2.5, 5.0, 10.0)
STARTED = time.time()

Labels = tuple[tuple[str, str], ...]


@dataclass
class Sample:
    name: str
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Family:
    """One metric: its name, type (gauge, counter or histogram), help text and samples."""

    name: str
    kind: str
    help: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, suffix: str = "", **labels: str) -> Family:
        self.samples.append(Sample(self.name + suffix, value, labels))
        return self


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if value != int(value) else str(int(value))


def render(families: Iterable[Family]) -> str:
    """The families in Prometheus's text format (version 0.0.4)."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {family.help.replace(chr(92), chr(92) * 2).replace(chr(10), ' ')}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for sample in family.samples:
            labels = ",".join(f'{key}="{escape(value)}"' for key, value in sample.labels.items())
            lines.append(
                f"{sample.name}{{{labels}}} {number(sample.value)}"
                if labels
                else f"{sample.name} {number(sample.value)}"
            )
    return "\n".join(lines) + "\n"


class Histogram:
    """A latency histogram by label set, safe to observe from several threads."""

    def __init__(self, buckets: tuple[float, ...] = BUCKETS) -> None:
        self.buckets = buckets
        self._lock = threading.Lock()
        self._series: dict[Labels, tuple[list[int], list[float]]] = {}  # counts per bucket (+Inf last), [sum]

    def observe(self, seconds: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            counts, total = self._series.setdefault(key, ([0] * (len(self.buckets) + 1), [0.0]))
            for index, bound in enumerate(self.buckets):
                if seconds <= bound:
                    counts[index] += 1
                    break
            else:
                counts[-1] += 1
            total[0] += seconds

    def family(self, name: str, help: str) -> Family:
        family = Family(name, "histogram", help)
        with self._lock:
            series = {key: (list(counts), total[0]) for key, (counts, total) in sorted(self._series.items())}
        for key, (counts, total) in series.items():
            labels = dict(key)
            cumulative = 0
            for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                cumulative += count
                family.add(cumulative, "_bucket", **labels, le="+Inf" if math.isinf(bound) else number(bound))
            family.add(cumulative, "_count", **labels)
            family.add(total, "_sum", **labels)
        return family

    def clear(self) -> None:
        with self._lock:
            self._series.clear()


class Counter:
    """A counter by label set, safe to increment from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[Labels, int] = {}

    def inc(self, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._series[key] = self._series.get(key, 0) + 1

    def family(self, name: str, help: str) -> Family:
        family = Family(name, "counter", help)
        with self._lock:
            series = sorted(self._series.items())
        for key, value in series:
            family.add(value, **dict(key))
        return family

    def clear(self) -> None:
        with self._lock:
            self._series.clear()


# This process's requests: by route (the URL's name, e.g. "portal:invoices"), method and status class.
REQUEST_SECONDS = Histogram()
RESPONSES = Counter()
