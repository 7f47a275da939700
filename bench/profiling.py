"""Profiling the worst figure with py-spy, a sampling profiler attached to the running
``mailroom serve`` process (nothing in the bot changes for it).

Only the timed phase is recorded (the load generator waits for ``go``), and only the
thread holding the GIL (``--gil``): what the samples show is where the bot spends its
Python time. The raw folded stacks are reduced to

* the functions with the most self time;
* the share of samples per Mailroom package, attributing each sample to the innermost
  Mailroom frame on its stack (``bot.store``, ``cards``, ...); samples with no Mailroom frame
  under the request handler are the framework's own time (Agents SDK, aiohttp, asyncio).
  Each share times the process's CPU time per turn over the same run gives an estimate of
  the CPU milliseconds per turn spent there.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.drive import LoadRun
from bench.procs import ROOT, BotProcess

MAILROOM_ROOTS = ("bot/", "cards/")
FRAMEWORK = "framework (Agents SDK, aiohttp, asyncio)"
# Mailroom frames that only hand over to the SDK: time under them is the SDK's.
PASS_THROUGH = {
    "bot/app.py": {"messages", "_authorized_messages"},
    "bot/teams/agent.py": {"on_turn", "on_invoke_activity", "on_message_activity"},
}


def py_spy() -> str | None:
    venv = ROOT / ".venv" / "bin" / "py-spy"
    return str(venv) if venv.exists() else shutil.which("py-spy")


def profile_run(bot: BotProcess, plan: dict[str, Any], workdir: Path) -> dict[str, Any]:
    tool = py_spy()
    if tool is None:
        return {"skipped": "py-spy is not installed (uv sync --group dev)"}
    raw = workdir / "profile.folded"
    run = LoadRun.start(plan, workdir)
    if not run.wait_ready():
        run.result().check("profile warm-up")
    argv = [tool, "record", "--pid", str(bot.process.pid), "--format", "raw", "--gil"]
    argv += ["--rate", "250", "--nonblocking", "--full-filenames", "-o", str(raw)]
    spy_log = workdir / "py-spy.log"
    with spy_log.open("w") as log:
        spy = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    _wait_until_sampling(spy, spy_log)
    cpu_before = bot.process.cpu_seconds()
    run.go()
    result = run.result()
    cpu_s = bot.process.cpu_seconds() - cpu_before
    spy.send_signal(signal.SIGINT)
    try:
        spy.wait(timeout=30)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait()
    result.check("profile run")
    if not raw.exists():
        tail = (workdir / "py-spy.log").read_text(errors="replace")[-500:]
        return {"skipped": f"py-spy recorded nothing: {tail}"}
    figures = analyse(raw.read_text(encoding="utf-8"))
    cpu_ms = cpu_s * 1000 / result.count if result.count else 0.0
    for row in figures.get("by_package", []):
        row["cpu_ms_per_turn"] = round(row["share"] * cpu_ms, 2)
    return {"turns": result.count, "cpu_ms_per_turn": round(cpu_ms, 2), **figures}


def _wait_until_sampling(spy: subprocess.Popen[bytes], log: Path, limit_s: float = 30.0) -> None:
    """Until py-spy says it samples ("Sampling process …", printed once it has attached):
    on a loaded machine attaching takes seconds, and a run started before would go
    unsampled. Gives up when py-spy exits or after ``limit_s`` (the run then reports what
    was sampled, perhaps nothing)."""
    deadline = time.monotonic() + limit_s
    while spy.poll() is None and time.monotonic() < deadline:
        if "Sampling process" in log.read_text(errors="replace"):
            return
        time.sleep(0.05)  # polling py-spy's output: it signals nothing else


def _frame_file(frame: str) -> str:
    """``name (path:line)`` → path relative to the project when it is ours."""
    inner = frame.rsplit(" (", 1)[-1].rstrip(")")
    path = inner.rsplit(":", 1)[0]
    root = str(ROOT) + "/"
    return path[len(root) :] if path.startswith(root) else path


def _short(frame: str) -> str:
    name, _, where = frame.rpartition(" (")
    path = _frame_file(frame)
    for marker in ("site-packages/", f"lib/python{sys.version_info[0]}.{sys.version_info[1]}/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    line = where.rstrip(")").rsplit(":", 1)[-1]
    return f"{name} ({path}:{line})"


def _package(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    if parts[0] == "cards":
        return "cards"
    return ".".join(parts[:2]) if len(parts) > 2 else ".".join(parts)


def analyse(folded: str, top: int = 15) -> dict[str, Any]:
    self_time: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in folded.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        self_time[_short(frames[-1])] += count
        owner = FRAMEWORK
        for frame in reversed(frames):
            path = _frame_file(frame)
            if path.startswith(MAILROOM_ROOTS) and not path.startswith("bot/cli"):
                function = frame.rpartition(" (")[0]
                if function not in PASS_THROUGH.get(path, set()):
                    owner = _package(path)
                break
        packages[owner] += count
    if total == 0:
        return {"samples": 0}
    return {
        "samples": total,
        "self_time": [
            {"function": name, "share": round(n / total, 3)}
            for name, n in self_time.most_common(top)
        ],
        "by_package": [
            {"package": name, "share": round(n / total, 3)} for name, n in packages.most_common()
        ],
    }
