"""Running the load generator (``bench/loadgen.py``) as a separate process.

run = LoadRun.start(plan, workdir)
run.wait_ready()      # warm-up done: the timed phase waits for go()
run.go()
...                   # e.g. read the bot's CPU time, start a profiler
run.stop()            # only the open-ended "flow" scenario needs it
result = run.result()
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.procs import ROOT, with_bytecode

_RUNS = itertools.count(1)


@dataclass(frozen=True)
class LoadResult:
    samples_ms: dict[str, list[float]]
    errors: int
    error_examples: list[str]
    wall_s: float

    def all_samples(self) -> list[float]:
        return [ms for samples in self.samples_ms.values() for ms in samples]

    @property
    def count(self) -> int:
        return sum(len(s) for s in self.samples_ms.values())

    def check(self, what: str) -> None:
        if self.errors:
            raise RuntimeError(f"{what}: {self.errors} failed turns, e.g. {self.error_examples}")


class LoadRun:
    def __init__(self, popen: subprocess.Popen[str], result_path: Path, log: Path) -> None:
        self._popen = popen
        self._result_path = result_path
        self._log = log
        self._ready = False

    @classmethod
    def start(cls, plan: dict[str, Any], workdir: Path) -> LoadRun:
        number = next(_RUNS)
        plan_path = workdir / f"loadgen-{number}.plan.json"
        result_path = workdir / f"loadgen-{number}.result.json"
        log = workdir / f"loadgen-{number}.log"
        plan_path.write_text(json.dumps({**plan, "wait_for_go": True}), encoding="utf-8")
        result_path.unlink(missing_ok=True)
        with log.open("w") as err:
            popen = subprocess.Popen(
                [sys.executable, "-m", "bench.loadgen", str(plan_path), str(result_path)],
                cwd=ROOT,
                env=with_bytecode(None),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        return cls(popen, result_path, log)

    def _stdin(self) -> IO[str]:
        assert self._popen.stdin is not None
        return self._popen.stdin

    def wait_ready(self) -> bool:
        """Block until the warm-up is done; False when the load generator gave up."""
        assert self._popen.stdout is not None
        line = self._popen.stdout.readline().strip()
        self._ready = line == "ready"
        return self._ready

    def go(self) -> None:
        if self._ready:
            self._stdin().write("go\n")
            self._stdin().flush()

    def stop(self) -> None:
        if self._ready and self._popen.poll() is None:
            self._stdin().write("stop\n")
            self._stdin().flush()

    def result(self, timeout: float = 600) -> LoadResult:
        try:
            self._popen.wait(timeout=timeout)
        finally:
            if self._popen.poll() is None:
                self._popen.kill()
                self._popen.wait()
            if self._popen.stdin is not None:
                self._popen.stdin.close()
            if self._popen.stdout is not None:
                self._popen.stdout.close()
        if not self._result_path.exists():
            tail = self._log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the load generator failed ({self._popen.returncode}):\n{tail}")
        raw = json.loads(self._result_path.read_text(encoding="utf-8"))
        return LoadResult(raw["samples_ms"], raw["errors"], raw["error_examples"], raw["wall_s"])


def run_load(plan: dict[str, Any], workdir: Path) -> LoadResult:
    """Warm up, then the timed phase, start to end."""
    run = LoadRun.start(plan, workdir)
    if run.wait_ready():
        run.go()
    return run.result()
