"""Summaries of timings: percentiles (nearest rank), and ratios against a baseline."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least ``fraction`` of the
    samples at or below it."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary(samples: Sequence[float]) -> dict[str, Any]:
    """n, mean, p50, p95, p99 and max of a list of milliseconds, rounded to 0.01 ms."""
    if not samples:
        return {"n": 0, "mean": None, "p50": None, "p95": None, "p99": None, "max": None}
    return {
        "n": len(samples),
        "mean": round(statistics.fmean(samples), 2),
        "p50": round(percentile(samples, 0.50), 2),
        "p95": round(percentile(samples, 0.95), 2),
        "p99": round(percentile(samples, 0.99), 2),
        "max": round(max(samples), 2),
    }


def ratio(value: float | None, baseline: float | None, digits: int = 2) -> float | None:
    if value is None or baseline is None or baseline == 0:
        return None
    return round(value / baseline, digits)
