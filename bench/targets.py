"""The targets table: each target with the figure a run measured and whether it was met.

A row is ``Target(name, figure, threshold, met)``, all plain values so a row survives the
results JSON (as a list of four). Any scenario adds rows of its own by putting them in its
section of the results under ``"targets"``: ``results["my_scenario"]["targets"] = [row, ...]``
(build each with ``check``); ``table`` lists the turn, bulk, responsiveness and footprint
targets first, then every section's rows in the order the sections were added.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from bench.stats import ratio

# The targets the turn benchmarks are held to (Mailroom against the echo bot, same run).
CPU_RATIO = {"senders": 1.5, "preview": 3.0}  # CPU per turn, at most
P99_RATIO = {"senders": 2.0, "preview": 4.0}  # p99 latency, at most
THROUGHPUT_SHARE = {"senders": 0.60, "preview": 0.33}  # turns/s at N=20, at least
TARGET_NS = (1, 20)
THROUGHPUT_N = 20
PACING_TARGET = 0.95  # achieved rate / R, at least
RESPONSIVE_P99_MS = 300.0  # Action.Execute p99 during the bulk send, below
FOOTPRINT_RATIO = 2.0  # startup time and RSS against the echo bot, at most

_OPS: dict[str, Callable[[float, float], bool]] = {
    "≤": operator.le,
    "<": operator.lt,
    "≥": operator.ge,
    "=": operator.eq,
}


class Target(NamedTuple):
    name: str  # what is measured
    figure: str  # the measured figure as printed, "–" when the run has none
    threshold: str  # e.g. "≤ ×1.50"
    met: bool | None  # None: this machine cannot show the figure at all (``note`` says why)
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.met is None:
            return f"not measurable ({self.note})" if self.note else "not measurable"
        return "met" if self.met else "**not met**"


def check(name: str, figure: float | None, op: str, limit: float, unit: str = "×") -> Target:
    """One row: ``figure op limit`` (``op`` one of ≤ < ≥ =); a missing figure is not met.
    ``unit``: "×" for a ratio, "%" for a share, "ms", or "" for a count."""
    met = figure is not None and _OPS[op](figure, limit)
    return Target(name, _show(figure, unit), f"{op} {_show(limit, unit)}", met)


def _show(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "×":
        return f"×{value:.2f}"
    if unit == "%":
        return f"{value * 100:.0f} %"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:g}"


def table(results: dict[str, Any]) -> list[Target]:
    """Every target of a run: the built-in ones, then each section's own ``targets``."""
    rows = [*turn_targets(results["turn_latency"]["runs"])]
    rows += bulk_targets(results["bulk_pacing"], results["responsiveness"])
    rows += footprint_targets(results["startup_memory"])
    for section in results.values():
        if isinstance(section, dict) and "targets" in section:
            rows += [Target(*row) for row in section["targets"]]
    return rows


def turn_targets(runs: Iterable[dict[str, Any]]) -> list[Target]:
    rows: list[Target] = []
    for run in runs:
        scenario, n, ratios = run["scenario"], run["conversations"], run["ratio"]
        if n not in TARGET_NS or scenario not in CPU_RATIO:
            continue
        where = f"({scenario}, N={n})"
        rows.append(
            check(f"CPU per turn Mailroom/echo {where}", ratios["cpu_ms_per_turn"], "≤",
                  CPU_RATIO[scenario])
        )  # fmt: skip
        rows.append(
            check(f"turn p99 Mailroom/echo {where}", ratios["p99"], "≤", P99_RATIO[scenario])
        )
        if n == THROUGHPUT_N:
            rows.append(
                check(f"throughput Mailroom/echo {where}", ratios["throughput_per_s"], "≥",
                      THROUGHPUT_SHARE[scenario], unit="%")
            )  # fmt: skip
    return rows


def bulk_targets(pacing: dict[str, Any], responsive: dict[str, Any]) -> list[Target]:
    return [
        check("bulk achieved rate / R", pacing["achieved_over_limit"], "≥", PACING_TARGET),
        check("self-inflicted 429s", pacing["throttled_429"], "=", 0, unit=""),
        check("messages Exchange delayed for the rate", pacing.get("delayed_by_rate"), "=", 0,
              unit=""),
        check("duplicates", pacing["duplicates"], "=", 0, unit=""),
        check("lost", pacing["lost"], "=", 0, unit=""),
        check("Action.Execute p99 during the bulk send", responsive["during_bulk"]["p99"], "<",
              RESPONSIVE_P99_MS, unit="ms"),
    ]  # fmt: skip


def footprint_targets(footprint: dict[str, Any]) -> list[Target]:
    mine, echo = footprint["mailroom"], footprint["echo"]
    rss_ready = ratio(mine["rss_ready_mib"], echo["rss_ready_mib"])
    return [
        check("startup Mailroom/echo", footprint["ratio"]["ready_s"], "≤", FOOTPRINT_RATIO),
        check("RSS when ready Mailroom/echo", rss_ready, "≤", FOOTPRINT_RATIO),
        check("RSS after the turns Mailroom/echo", footprint["ratio"]["rss_after_turns_mib"], "≤",
              FOOTPRINT_RATIO),
    ]  # fmt: skip


def markdown(rows: Sequence[Target]) -> list[str]:
    out = ["| target | threshold | figure | met |", "|---|---:|---:|:---:|"]
    out += [f"| {row.name} | {row.threshold} | {row.figure} | {row.verdict} |" for row in rows]
    return out
