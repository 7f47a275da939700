"""Turn latency: Mailroom against the bare Agents SDK echo bot, N concurrent conversations.

For each N and scenario both bots get the same load generator plan (only the URL differs),
in two halves run echo, Mailroom, Mailroom, echo: the machine's drift during the pair (other
work on it, a warming disk cache) falls on both alike. The halves' samples are pooled.
Besides latency and throughput, the bot process's CPU time over the timed phase
(``/proc/PID/stat``) gives its CPU cost per turn.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.drive import LoadResult, LoadRun
from bench.loadgen import Plan
from bench.procs import BotProcess, EmulatorInfo
from bench.stats import ratio, summary
from bench.tenant import SUPPORT, BenchUser

SCENARIOS = ("senders", "preview")


@dataclass(frozen=True)
class TurnConfig:
    conversations: tuple[int, ...]
    turns: dict[int, int]  # N → timed turns per conversation (per bot, over both halves)
    warmup: int = 2


def make_plan(
    bot: BotProcess,
    emulator: EmulatorInfo,
    scenario: str,
    users: list[BenchUser],
    *,
    turns: int,
    warmup: int,
    preview_inputs: dict[str, Any],
    checked: bool,
) -> dict[str, Any]:
    plan = Plan(
        url=f"{bot.url}/api/messages",
        service_url=emulator.base_url,
        tenant_id=emulator.tenant_id,
        scenario=scenario,
        users=[u.as_json() for u in users],
        warmup=warmup,
        turns=turns,
        sender=SUPPORT,
        preview_inputs=preview_inputs,
        checked=checked,
    )
    return asdict(plan)


def timed_run(bot: BotProcess, plan: dict[str, Any], workdir: Path) -> tuple[LoadResult, float]:
    """The load generator's result and the bot's CPU seconds during the timed phase."""
    run = LoadRun.start(plan, workdir)
    ready = run.wait_ready()
    cpu_before = bot.process.cpu_seconds()
    if ready:
        run.go()
    result = run.result()
    cpu = bot.process.cpu_seconds() - cpu_before
    result.check(f"{plan['scenario']} × {len(plan['users'])} against {bot.process.name}")
    return result, cpu


def bot_figures(results: list[tuple[LoadResult, float]]) -> dict[str, Any]:
    """Pooled figures of one bot's runs: latency summary, turns per second of timed phase,
    CPU milliseconds per turn."""
    samples = [ms for result, _ in results for ms in result.all_samples()]
    wall = sum(result.wall_s for result, _ in results)
    cpu = sum(cpu_s for _, cpu_s in results)
    return {
        **summary(samples),
        "throughput_per_s": round(len(samples) / wall, 1) if wall else None,
        "cpu_ms_per_turn": round(cpu * 1000 / len(samples), 3) if samples else None,
    }


def measure_turns(
    mailroom: BotProcess,
    echo: BotProcess,
    emulator: EmulatorInfo,
    users: list[BenchUser],
    preview_inputs: dict[str, Any],
    cfg: TurnConfig,
    workdir: Path,
) -> dict[str, Any]:
    runs = []
    for n in cfg.conversations:
        for scenario in SCENARIOS:
            half = max(1, cfg.turns[n] // 2)
            pooled: dict[str, list[tuple[LoadResult, float]]] = {"echo": [], "mailroom": []}
            for name in ("echo", "mailroom", "mailroom", "echo"):
                bot = mailroom if name == "mailroom" else echo
                plan = make_plan(
                    bot, emulator, scenario, users[:n], turns=half, warmup=cfg.warmup,
                    preview_inputs=preview_inputs, checked=name == "mailroom",
                )  # fmt: skip
                pooled[name].append(timed_run(bot, plan, workdir))
            mine, base = bot_figures(pooled["mailroom"]), bot_figures(pooled["echo"])
            runs.append(
                {
                    "scenario": scenario,
                    "conversations": n,
                    "mailroom": mine,
                    "echo": base,
                    "ratio": {
                        key: ratio(mine[key], base[key])
                        for key in ("p50", "p95", "p99", "throughput_per_s", "cpu_ms_per_turn")
                    },
                }
            )
            print(_line(runs[-1]), flush=True)
    return {"runs": runs}


def _line(run: dict[str, Any]) -> str:
    m, e, r = run["mailroom"], run["echo"], run["ratio"]
    return (
        f"  turns {run['scenario']:<8} N={run['conversations']:<3} "
        f"p50 {m['p50']:.1f}/{e['p50']:.1f} ms (×{r['p50']})  "
        f"p99 {m['p99']:.1f}/{e['p99']:.1f} ms (×{r['p99']})  "
        f"{m['throughput_per_s']:.0f}/{e['throughput_per_s']:.0f} turns/s"
    )
