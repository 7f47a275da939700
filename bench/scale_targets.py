"""The scale benchmarks' figures as target rows, and the arithmetic behind them.

A row is a ``bench.targets.Target``, as the turn targets are: what is measured, the figure,
the threshold it must meet and whether it did. ``met`` is ``None`` when the machine cannot
show the figure at all (two replicas cannot run twice as fast on a machine that has no cores
for the second one), so a report says "not measurable" instead of pretending either way.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bench.targets import Target

# Two replicas need a core each, plus one for the emulator and load generator and one for
# the proxy: below this the replica throughput ratio measures the machine, not Mailroom.
CORES_FOR_REPLICAS = 4


def ratio_figure(value: float | None) -> str:
    return "–" if value is None else f"×{value:.2f}"


def at_least(name: str, value: float | None, threshold: float) -> Target:
    """A ratio that must reach ``threshold``; a missing value is not met."""
    met = value is not None and value >= threshold
    return Target(name, ratio_figure(value), f"≥ {threshold:g}", met)


def exactly(name: str, value: int | None, expected: int) -> Target:
    """A count that must be ``expected`` (0 for 429s, duplicates, lost)."""
    figure = "–" if value is None else str(value)
    return Target(name, figure, f"= {expected}", value == expected)


def at_most(name: str, value: int | None, limit: int) -> Target:
    figure = "–" if value is None else str(value)
    return Target(name, figure, f"≤ {limit}", value is not None and value <= limit)


def cpu_permitting(target: Target, cores: int | None) -> Target:
    """``target`` as measured, but not judged on a machine with too few cores for it."""
    if cores is not None and cores >= CORES_FOR_REPLICAS:
        return target
    note = f"on {cores} cores; needs {CORES_FOR_REPLICAS}"
    return Target(target.name, target.figure, target.threshold, None, note)


def not_run(name: str, threshold: str, why: str) -> Target:
    return Target(name, "–", threshold, None, why)


def cores() -> int | None:
    """The cores this process may run on (the affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count()


# --- rates --------------------------------------------------------------------------


def steady_per_minute(times: Sequence[datetime]) -> float | None:
    """The steady rate of a run of events: (n − 1) / (last − first), per minute; None with
    fewer than two events or no time between them."""
    ordered = sorted(times)
    if len(ordered) < 2:
        return None
    span = (ordered[-1] - ordered[0]).total_seconds()
    return (len(ordered) - 1) / span * 60 if span > 0 else None


def overlap_per_minute(runs: Iterable[Sequence[datetime]]) -> tuple[float | None, float]:
    """The steady rate of all runs' events together while every run is going, from the
    latest first event to the earliest last one (so neither the runs' staggered starts nor
    their tails count): (per minute, or None; the window in seconds)."""
    runs = [sorted(r) for r in runs]
    if not runs or any(not r for r in runs):
        return None, 0.0
    start, end = max(r[0] for r in runs), min(r[-1] for r in runs)
    inside = [t for r in runs for t in r if start <= t <= end]
    window = (end - start).total_seconds()
    return (steady_per_minute(inside) if window > 0 else None), max(window, 0.0)


def most_in_a_minute(times: Iterable[datetime]) -> int:
    """The most events in any rolling 60 seconds (Exchange's message-rate window)."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while (at - ordered[start]).total_seconds() >= 60:
            start += 1
        most = max(most, end - start + 1)
    return most


def spread_s(times: Iterable[datetime]) -> float:
    """Seconds between the earliest and the latest of ``times`` (0 for fewer than two)."""
    ordered = sorted(times)
    return (ordered[-1] - ordered[0]).total_seconds() if len(ordered) > 1 else 0.0


def gaps_ms(times: Sequence[datetime]) -> list[float]:
    return [(b - a).total_seconds() * 1000 for a, b in itertools.pairwise(sorted(times))]


def rate_ratio(rate: float | None, limit: float) -> float | None:
    return None if rate is None or limit <= 0 else round(rate / limit, 3)


# --- what the emulator recorded ---------------------------------------------------------


def throttled(log: Iterable[dict[str, Any]]) -> int:
    """429s Graph answered (its request and concurrency limits), from the request log."""
    return sum(1 for e in log if e["path"].startswith("/v1.0/") and e["status"] == 429)


def held_back(record: Iterable[dict[str, Any]]) -> int:
    """Transport record entries Exchange delayed for the message rate (or never delivered):
    how a sender over the rate shows, since Graph accepts the message anyway."""
    return sum(1 for e in record if e["delivered_at"] is None or e["delayed_seconds"] > 0)


def deliveries(expected: Iterable[str], delivered: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Every expected recipient exactly once? ``delivered`` (to them), ``duplicates``,
    ``lost``, from the emulator's external deliveries."""
    wanted = set(expected)
    got = Counter(d["recipient"] for d in delivered if d["recipient"] in wanted)
    return {
        "recipients_delivered": sum(got.values()),
        "duplicates": sum(n - 1 for n in got.values() if n > 1),
        "lost": sum(1 for address in wanted if got[address] == 0),
    }


# --- the table ----------------------------------------------------------------------


def as_json(rows: Sequence[Target]) -> list[dict[str, object]]:
    return [
        {"name": r.name, "figure": r.figure, "threshold": r.threshold, "met": r.met, "note": r.note}
        for r in rows
    ]


def from_json(raw: Iterable[dict[str, object]]) -> list[Target]:
    return [
        Target(
            str(r["name"]),
            str(r["figure"]),
            str(r["threshold"]),
            None if r["met"] is None else bool(r["met"]),
            str(r.get("note") or ""),
        )
        for r in raw
    ]
