"""The targets table: each figure against its threshold, and rows any scenario adds."""

from __future__ import annotations

import json
from typing import Any

from bench import targets
from bench.targets import Target, check


def test_a_figure_is_checked_against_its_threshold_and_shown_with_its_unit() -> None:
    assert check("cpu", 1.49, "≤", 1.5) == Target("cpu", "×1.49", "≤ ×1.50", True)
    assert check("cpu", 1.51, "≤", 1.5).met is False
    assert check("share", 0.33, "≥", 0.33, unit="%") == Target("share", "33 %", "≥ 33 %", True)
    assert check("p99", 300.0, "<", 300.0, unit="ms").met is False
    assert check("lost", 0, "=", 0, unit="") == Target("lost", "0", "= 0", True)
    assert check("lost", 2, "=", 0, unit="").met is False


def test_a_missing_figure_is_not_met() -> None:
    assert check("cpu", None, "≤", 1.5) == Target("cpu", "–", "≤ ×1.50", False)


def _run(scenario: str, n: int, cpu: float, p99: float, share: float) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "conversations": n,
        "ratio": {"cpu_ms_per_turn": cpu, "p99": p99, "throughput_per_s": share},
    }


RESULTS: dict[str, Any] = {
    "turn_latency": {
        "runs": [
            _run("senders", 1, 1.4, 1.9, 0.7),
            _run("preview", 20, 3.2, 3.9, 0.30),
            _run("preview", 100, 9.0, 9.0, 0.1),  # no target at N=100
        ]
    },
    "bulk_pacing": {
        "achieved_over_limit": 0.97,
        "throttled_429": 0,
        "delayed_by_rate": 0,
        "duplicates": 0,
        "lost": 1,
    },
    "responsiveness": {"during_bulk": {"p99": 120.0}},
    "startup_memory": {
        "mailroom": {"rss_ready_mib": 100.0},
        "echo": {"rss_ready_mib": 60.0},
        "ratio": {"ready_s": 1.9, "rss_after_turns_mib": 2.1},
    },
}


def test_the_table_holds_each_target_with_its_figure_and_verdict() -> None:
    met = {row.name: row.met for row in targets.table(RESULTS)}
    assert met == {
        "CPU per turn Mailroom/echo (senders, N=1)": True,
        "turn p99 Mailroom/echo (senders, N=1)": True,
        "CPU per turn Mailroom/echo (preview, N=20)": False,
        "turn p99 Mailroom/echo (preview, N=20)": True,
        "throughput Mailroom/echo (preview, N=20)": False,
        "bulk achieved rate / R": True,
        "self-inflicted 429s": True,
        "messages Exchange delayed for the rate": True,
        "duplicates": True,
        "lost": False,
        "Action.Execute p99 during the bulk send": True,
        "startup Mailroom/echo": True,
        "RSS when ready Mailroom/echo": True,
        "RSS after the turns Mailroom/echo": False,
    }


def test_rows_a_scenario_adds_come_after_the_built_in_ones_even_through_json() -> None:
    extra = [check("scale p99 at 1000 users", 250.0, "<", 300.0, unit="ms")]
    results = json.loads(json.dumps({**RESULTS, "scale_users": {"targets": extra}}))
    rows = targets.table(results)
    assert rows[-1] == Target("scale p99 at 1000 users", "250.0 ms", "< 300.0 ms", True)


def test_the_markdown_says_met_or_not_met_on_every_row() -> None:
    lines = targets.markdown(targets.table(RESULTS))
    assert lines[0] == "| target | threshold | figure | met |"
    body = lines[2:]
    assert len(body) == len(targets.table(RESULTS))
    assert "| lost | = 0 | 1 | **not met** |" in body
    assert "| duplicates | = 0 | 0 | met |" in body
