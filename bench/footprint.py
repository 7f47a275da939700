"""Startup and memory: process start → ``/readyz`` 200, and resident memory after 1,000
turns, for ``mailroom serve`` (fresh database each start) and the echo bot.

Startup is the median of a few fresh starts of each, after one untimed start that compiles
the bytecode (as the container image does when it is built: ``bench.procs.with_bytecode``).
Memory is read from ``/proc/PID/status`` (``VmRSS``) on the last start, after the turns
(``/senders`` from 20 conversations) and a second of idling.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.procs import BotProcess, EmulatorInfo, start_echo, start_mailroom
from bench.stats import ratio
from bench.tenant import BenchUser
from bench.turns import make_plan, timed_run


@dataclass(frozen=True)
class FootprintConfig:
    starts: int
    turns: int
    conversations: int = 20


def measure_footprint(
    emulator: EmulatorInfo,
    policy: Path,
    users: list[BenchUser],
    cfg: FootprintConfig,
    workdir: Path,
) -> dict[str, Any]:
    figures: dict[str, dict[str, Any]] = {}
    starters: dict[str, Callable[[int], BotProcess]] = {
        "echo": lambda n: start_echo(emulator, workdir / f"echo-start-{n}.log"),
        "mailroom": lambda n: start_mailroom(
            emulator, policy, workdir / f"footprint-{n}.db", workdir / f"mailroom-start-{n}.log"
        ),
    }
    for name, start in starters.items():
        start(-1).process.stop()  # compiles the bytecode
        ready: list[float] = []
        rss_ready = rss_after = 0
        for n in range(cfg.starts):
            bot = start(n)
            try:
                ready.append(bot.ready_s)
                if n == cfg.starts - 1:
                    time.sleep(0.5)
                    rss_ready = bot.process.rss_kib()
                    _turns(bot, emulator, users, cfg, workdir)
                    time.sleep(1.0)
                    rss_after = bot.process.rss_kib()
            finally:
                bot.process.stop()
        figures[name] = {
            "ready_s": round(statistics.median(ready), 3),
            "ready_runs_s": [round(r, 3) for r in ready],
            "rss_ready_mib": round(rss_ready / 1024, 1),
            "rss_after_turns_mib": round(rss_after / 1024, 1),
        }
    mine, base = figures["mailroom"], figures["echo"]
    return {
        "turns": cfg.turns,
        "mailroom": mine,
        "echo": base,
        "ratio": {
            "ready_s": ratio(mine["ready_s"], base["ready_s"]),
            "rss_after_turns_mib": ratio(mine["rss_after_turns_mib"], base["rss_after_turns_mib"]),
        },
    }


def _turns(
    bot: BotProcess,
    emulator: EmulatorInfo,
    users: list[BenchUser],
    cfg: FootprintConfig,
    workdir: Path,
) -> None:
    n = min(cfg.conversations, len(users), cfg.turns)
    plan = make_plan(
        bot, emulator, "senders", users[:n], turns=cfg.turns // n, warmup=0,
        preview_inputs={}, checked=True,
    )  # fmt: skip
    timed_run(bot, plan, workdir)
