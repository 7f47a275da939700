"""Running every benchmark in one go, against one emulator, and collecting the figures.

Order: template rendering (nothing else running), startup and memory (fresh processes),
turn latency (``mailroom serve`` and the echo bot side by side, measured one at a time),
a profile of the worst turn-latency ratio, then the bulk send with the responsiveness
run. Every process is stopped at the end, whatever happened.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import time
from pathlib import Path
from typing import Any

from bench import render
from bench.bulk import measure_bulk
from bench.config import BenchConfig
from bench.footprint import measure_footprint
from bench.procs import ROOT, start_echo, start_emulator, start_mailroom
from bench.profiling import profile_run
from bench.tenant import bench_users, write_policy, write_seed
from bench.turns import make_plan, measure_turns
from bot.rendering import TemplateCatalog
from emulator.testing import EmulatorControl

PREVIEW_TEMPLATE = "ticket-reply"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kib = int(meminfo.read_text().splitlines()[0].split()[1])
        memory = f"{total_kib / 1024 / 1024:.1f} GiB"

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "agents_sdk": version("microsoft-agents-hosting-core"),
        "aiohttp": version("aiohttp"),
        "load_start": round(os.getloadavg()[0], 2),
    }


def preview_inputs() -> dict[str, str]:
    catalog = TemplateCatalog.load(ROOT / "templates")
    values = catalog.get(PREVIEW_TEMPLATE).sample_values()
    return {f"var_{k}": str(v) for k, v in values.items()} | {"to": "customer@fabrikam.com"}


def worst_turn_run(turns: dict[str, Any]) -> dict[str, Any]:
    """The turn-latency run with the largest Mailroom/echo ratio at p50 or p99."""
    return max(turns["runs"], key=lambda r: max(r["ratio"]["p50"] or 0, r["ratio"]["p99"] or 0))


def run_all(config: BenchConfig, workdir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    users = bench_users(config.users_needed)
    seed = write_seed(workdir / "seed.toml", users)
    policy = write_policy(workdir / "policy.toml", noreply_per_minute=config.bulk.per_minute)
    inputs = preview_inputs()
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": config.quick,
        "machine": machine(),
    }
    print("template rendering …", flush=True)
    results["render"] = render.measure(config.render_iterations, ROOT / "templates")

    emulator, info = start_emulator(workdir / "emulator", seed)
    # The turn benchmarks drive hundreds of turns a second through one conversation, far past
    # Teams' per-conversation limits: with them on, both bots would measure the connector's
    # 429s, not their own cost. The limits and Mailroom's pacing within them are tested in
    # tests/emulator/test_connector_limits.py and tests/outbox/test_cards.py.
    EmulatorControl(info.base_url, info.ca_path).set_connector_limits(enabled=False)
    try:
        print("startup and memory …", flush=True)
        results["startup_memory"] = measure_footprint(
            info, policy, users, config.footprint, workdir
        )
        database = workdir / "mailroom.db"
        mailroom = start_mailroom(info, policy, database, workdir / "mailroom.log")
        echo = start_echo(info, workdir / "echo.log")
        try:
            print("turn latency (Mailroom/echo) …", flush=True)
            turns = measure_turns(mailroom, echo, info, users, inputs, config.turns, workdir)
            results["turn_latency"] = turns
            if config.profile:
                worst = worst_turn_run(turns)
                n = worst["conversations"]
                print(f"profiling {worst['scenario']} × {n} …", flush=True)
                plan = make_plan(
                    mailroom, info, worst["scenario"], users[:n], turns=config.turns.turns[n],
                    warmup=config.turns.warmup, preview_inputs=inputs, checked=True,
                )  # fmt: skip
                results["profile"] = {
                    "scenario": worst["scenario"],
                    "conversations": n,
                    "echo_cpu_ms_per_turn": worst["echo"]["cpu_ms_per_turn"],
                    **profile_run(mailroom, plan, workdir),
                }
            else:
                results["profile"] = {"skipped": "--no-profile"}
            print("bulk pacing and responsiveness …", flush=True)
            results |= measure_bulk(mailroom, info, database, users, inputs, config.bulk, workdir)
        finally:
            mailroom.process.stop()
            echo.process.stop()
    finally:
        emulator.stop()
    results["machine"]["load_end"] = round(os.getloadavg()[0], 2)
    results["duration_s"] = round(time.perf_counter() - started, 1)
    return results
