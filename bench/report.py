"""The figures as Markdown (printed, and written to docs/benchmarks.md) and as JSON.

Everything in the generated part comes from the results dictionary of one run; the
hand-written part (method, findings, how to rerun) is ``bench/method.md``, included as is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import targets

METHOD = Path(__file__).with_name("method.md")


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "–" if value is None else f"×{value:.2f}"


def markdown(results: dict[str, Any]) -> str:
    out: list[str] = []
    kind = "quick run (`--quick`)" if results["quick"] else "full run"
    out += [
        f"Run {results['date']}, {kind}, {results['duration_s']:.0f} s in all "
        f"(`bench/results/` has the JSON).",
        "",
        "### Targets",
        "",
    ]
    out += targets.markdown(targets.table(results))
    out += _turns(results["turn_latency"])
    out += _bulk(results["bulk_pacing"], results["responsiveness"])
    out += _footprint(results["startup_memory"])
    out += _render(results["render"], results["turn_latency"])
    out += _profile(results["profile"])
    out += _machine(results["machine"])
    return "\n".join(out) + "\n"


def _turns(turns: dict[str, Any]) -> list[str]:
    out = [
        "",
        "### Turn latency: Mailroom against the bare Agents SDK echo bot",
        "",
        "Milliseconds from request to response at the load generator, N concurrent conversations.",
        "",
        "| scenario | N | Mailroom p50 / p95 / p99 | echo p50 / p95 / p99 | p50 ratio | p99 ratio "
        "| turns/s Mailroom / echo | CPU ms per turn Mailroom / echo |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in turns["runs"]:
        m, e, r = run["mailroom"], run["echo"], run["ratio"]
        out.append(
            f"| {run['scenario']} | {run['conversations']} "
            f"| {_ms(m['p50'])} / {_ms(m['p95'])} / {_ms(m['p99'])} "
            f"| {_ms(e['p50'])} / {_ms(e['p95'])} / {_ms(e['p99'])} "
            f"| {_x(r['p50'])} | {_x(r['p99'])} "
            f"| {m['throughput_per_s']:.0f} / {e['throughput_per_s']:.0f} "
            f"| {m['cpu_ms_per_turn']:.2f} / {e['cpu_ms_per_turn']:.2f} |"
        )
    return out


def _bulk(pacing: dict[str, Any], responsive: dict[str, Any]) -> list[str]:
    idle, busy = responsive["idle"], responsive["during_bulk"]
    return [
        "",
        "### Bulk pacing efficiency",
        "",
        f"{pacing['messages']} personalised messages from noreply@ at R = "
        f"{pacing['rate_limit_per_minute']:g} messages/minute, Graph latency "
        f"{pacing['graph_latency_ms']} ms, at most 4 concurrent requests per mailbox.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| achieved rate / R | {_x(pacing['achieved_over_limit'])} |",
        f"| achieved rate (steady, accepted sends) | {pacing['achieved_per_minute']} per minute |",
        f"| Mailroom's own pacing target (R × rate_safety) | "
        f"{pacing['mailroom_target_per_minute']} per minute, one send every "
        f"{pacing['pacing_interval_ms']} ms |",
        f"| achieved rate / Mailroom's target | {_x(pacing['achieved_over_mailroom_target'])} |",
        f"| gap between accepted sends p50 / p95 / max (ms) | {_ms(pacing['gap_ms']['p50'])} / "
        f"{_ms(pacing['gap_ms']['p95'])} / {_ms(pacing['gap_ms']['max'])} |",
        f"| time lost to lateness (gaps up to twice the interval) | {pacing['late_lost_s']} s |",
        f"| stalls (gaps over twice the interval) and time lost to them | {pacing['stalls']}, "
        f"{pacing['stall_lost_s']} s |",
        f"| sends accepted (202) | {pacing['accepted_sends']} |",
        f"| self-inflicted 429s | {pacing['throttled_429']} |",
        f"| messages Exchange delayed for the rate (its transport record) | "
        f"{pacing.get('delayed_by_rate')} |",
        f"| most messages accepted in any rolling minute | "
        f"{pacing.get('most_accepted_in_a_minute')} |",
        f"| duplicates | {pacing['duplicates']} |",
        f"| lost | {pacing['lost']} |",
        f"| request's final state | {pacing['final_state']} |",
        f"| Send click → request closed | {pacing['queued_to_done_s']} s "
        f"({pacing['end_to_end_per_minute']} per minute) |",
        f"| preview of the {pacing['messages']}-row CSV (one Action.Execute) "
        f"| {pacing['bulk_preview_s']} s |",
        "",
        "### Responsiveness under load",
        "",
        "`send.pick_sender` and `compose.preview` clicks (milliseconds) while the bulk send runs,"
        " against the same clicks just before it.",
        "",
        "| | idle | during the bulk send | ratio |",
        "|---|---:|---:|---:|",
        f"| answers timed | {idle['n']} | {busy['n']} | |",
        f"| p50 | {_ms(idle['p50'])} | {_ms(busy['p50'])} | {_x(responsive['p50_ratio'])} |",
        f"| p95 | {_ms(idle['p95'])} | {_ms(busy['p95'])} | |",
        f"| p99 | {_ms(idle['p99'])} | {_ms(busy['p99'])} | {_x(responsive['p99_ratio'])} |",
    ]


def _footprint(fp: dict[str, Any]) -> list[str]:
    m, e, r = fp["mailroom"], fp["echo"], fp["ratio"]
    return [
        "",
        "### Startup and memory",
        "",
        "| | Mailroom | echo bot | ratio |",
        "|---|---:|---:|---:|",
        f"| process start → /readyz 200 (median, s) | {m['ready_s']:.2f} | {e['ready_s']:.2f} "
        f"| {_x(r['ready_s'])} |",
        f"| RSS when ready (MiB) | {m['rss_ready_mib']} | {e['rss_ready_mib']} | |",
        f"| RSS after {fp['turns']} turns (MiB) | {m['rss_after_turns_mib']} "
        f"| {e['rss_after_turns_mib']} | {_x(r['rss_after_turns_mib'])} |",
    ]


def _render(rendering: dict[str, Any], turns: dict[str, Any]) -> list[str]:
    echo_turn_us = None
    for run in turns["runs"]:
        if run["scenario"] == "senders" and run["conversations"] == min(
            r["conversations"] for r in turns["runs"]
        ):
            echo_turn_us = run["echo"]["p50"] * 1000
    out = [
        "",
        "### Template rendering",
        "",
        f"Each shipped template rendered {rendering['iterations']} times with its sample values "
        f"(validation, subject, HTML, text part, no-reply footer). Loading and checking all of "
        f"them once: {rendering['load_ms']} ms. The last column puts the median beside the echo "
        f"bot's p50 `/senders` turn at the lowest N.",
        "",
        "| template | median µs | p95 µs | HTML bytes | median / echo turn |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in rendering["templates"].items():
        share = f"×{row['median_us'] / echo_turn_us:.3f}" if echo_turn_us else "–"
        out.append(
            f"| {name} | {row['median_us']:.1f} | {row['p95_us']:.1f} | {row['html_bytes']} "
            f"| {share} |"
        )
    return out


def _profile(profile: dict[str, Any]) -> list[str]:
    out = ["", "### Profile of the worst ratio", ""]
    if "skipped" in profile:
        return [*out, f"Skipped: {profile['skipped']}."]
    out += [
        f"py-spy on `mailroom serve` during the timed phase of `{profile['scenario']}` with "
        f"N={profile['conversations']} ({profile.get('turns', 0)} turns, "
        f"{profile.get('samples', 0)} samples of the thread holding the GIL). Mailroom used "
        f"{profile.get('cpu_ms_per_turn', 0):.2f} ms of CPU per turn in this run; the echo bot "
        f"{profile['echo_cpu_ms_per_turn']:.2f} ms in the same scenario above. The last column "
        "is the share times Mailroom's CPU per turn: an estimate of where those milliseconds go.",
        "",
        "| where the time goes (innermost Mailroom frame) | share | ≈ CPU ms per turn |",
        "|---|---:|---:|",
    ]
    out += [
        f"| {p['package']} | {p['share'] * 100:.1f}% | {p.get('cpu_ms_per_turn', 0):.2f} |"
        for p in profile.get("by_package", [])
    ]
    out += ["", "| most self time | share |", "|---|---:|"]
    out += [
        f"| `{f['function']}` | {f['share'] * 100:.1f}% |" for f in profile.get("self_time", [])
    ]
    return out


def _machine(info: dict[str, Any]) -> list[str]:
    return [
        "",
        "### Machine",
        "",
        f"{info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory, {info['os']}, "
        f"Python {info['python']}, Agents SDK {info['agents_sdk']}, aiohttp {info['aiohttp']}. "
        "The emulator, the bot under test and the load generator share these CPUs. "
        f"Load average (1 min) at the start / end of the run: {info['load_start']} / "
        f"{info.get('load_end', '–')}: anything above about 1 means other work was competing "
        "for the CPUs and the absolute times are inflated (ratios less so: both bots ran "
        "under the same conditions, in interleaved halves).",
    ]


def write_docs(results: dict[str, Any], path: Path) -> None:
    method = METHOD.read_text(encoding="utf-8")
    head = (
        "# Benchmarks\n\n"
        "Generated by `python -m bench` (also `mailroom bench`); the sections after the results "
        "(Method, Findings, How to rerun) are hand-written in `bench/method.md`. Every figure "
        "is a ratio against a baseline measured in the same run, or a count; absolute times "
        "stand beside them.\n\n"
        "## Results\n\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + markdown(results) + "\n" + method, encoding="utf-8")


def write_json(results: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = results["date"][:10] + ("-quick" if results["quick"] else "")
    path = folder / f"{stamp}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
