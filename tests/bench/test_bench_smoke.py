"""The benchmarks still run: ``python -m bench --quick`` shrunk to a few seconds of load.

No timing is asserted (speed is what the benchmarks report, not what tests check); this
proves every benchmark runs end to end against real processes and reports sane counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = [
    "--quick",
    "--conversations", "1,3",
    "--turns", "4",
    "--bulk-messages", "12",
    "--rate", "1200",
    "--footprint-turns", "30",
    "--idle-seconds", "1.5",
]  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, str]:
    out = tmp_path_factory.mktemp("bench")
    docs = out / "benchmarks.md"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", *TINY, "--results-dir", str(out), "--docs", str(docs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,  # a whole benchmark run: minutes on a busy machine
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    [result_file] = out.glob("*-quick.json")
    return json.loads(result_file.read_text()), docs.read_text(), finished.stdout


def test_every_benchmark_reports_its_section(run: tuple[dict[str, Any], str, str]) -> None:
    results, _, _ = run
    for section in ("machine", "render", "startup_memory", "turn_latency", "profile",
                    "bulk_pacing", "responsiveness"):  # fmt: skip
        assert section in results, section


def test_turn_latency_compares_both_bots_for_each_scenario_and_n(
    run: tuple[dict[str, Any], str, str],
) -> None:
    runs = run[0]["turn_latency"]["runs"]
    assert {(r["scenario"], r["conversations"]) for r in runs} == {
        ("senders", 1), ("senders", 3), ("preview", 1), ("preview", 3)
    }  # fmt: skip
    for entry in runs:
        for bot in ("mailroom", "echo"):
            assert entry[bot]["n"] == entry["conversations"] * 4
            assert entry[bot]["p50"] > 0
            assert entry[bot]["p99"] >= entry[bot]["p50"]
        assert entry["ratio"]["p50"] > 0


def test_the_bulk_send_reaches_every_recipient_exactly_once_without_429s(
    run: tuple[dict[str, Any], str, str],
) -> None:
    pacing = run[0]["bulk_pacing"]
    assert pacing["final_state"] == "sent"
    assert pacing["accepted_sends"] == 12
    assert pacing["duplicates"] == 0
    assert pacing["lost"] == 0
    assert pacing["unexpected_recipients"] == 0
    assert pacing["throttled_429"] == 0
    assert pacing["delayed_by_rate"] == 0  # Exchange's own record: the rate was held
    assert 0 < pacing["most_accepted_in_a_minute"] <= 12
    assert 0 < pacing["achieved_over_limit"] <= 1.5


def test_responsiveness_counts_clicks_idle_and_during_the_bulk_send(
    run: tuple[dict[str, Any], str, str],
) -> None:
    responsive = run[0]["responsiveness"]
    assert responsive["idle"]["n"] > 0
    assert responsive["during_bulk"]["n"] > 0
    assert set(responsive["during_bulk_by_verb"]) <= {"send.pick_sender", "compose.preview"}


def test_startup_memory_and_rendering_are_measured_for_both_bots(
    run: tuple[dict[str, Any], str, str],
) -> None:
    results = run[0]
    for bot in ("mailroom", "echo"):
        figures = results["startup_memory"][bot]
        assert figures["ready_s"] > 0
        assert figures["rss_after_turns_mib"] > 10
    templates = results["render"]["templates"]
    assert {"ticket-reply", "outage-notice", "html_to_text"} <= set(templates)
    assert all(row["median_us"] > 0 for row in templates.values())


def test_the_profile_names_where_the_time_goes(run: tuple[dict[str, Any], str, str]) -> None:
    profile = run[0]["profile"]
    assert "skipped" in profile or profile["by_package"]


def test_the_markdown_printed_is_the_markdown_written(
    run: tuple[dict[str, Any], str, str],
) -> None:
    _, docs, stdout = run
    assert "## Results" in docs
    assert "### Targets" in docs
    assert "## Method" in docs
    table = docs.split("### Targets", 1)[1].split("## Method", 1)[0]
    assert table.strip() in stdout
