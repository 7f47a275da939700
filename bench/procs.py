"""Starting the processes a benchmark measures: the emulator, ``mailroom serve`` and the
echo bot, each a real process on loopback, and reading what the OS says about them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from emulator.seed import DEMO_SEED

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class EmulatorInfo:
    base_url: str
    ca_path: Path
    tenant_id: str


PYCACHE = ROOT / ".mailroom" / "pycache"


def with_bytecode(env: dict[str, str] | None) -> dict[str, str]:
    """``env`` (default: ours) with compiled bytecode kept, as in the container image (it
    compiles at build time): a machine that sets ``PYTHONDONTWRITEBYTECODE`` would otherwise
    make every start compile each module again, and time that instead of the bot. The cache
    is the one ``scripts/test`` uses."""
    kept = dict(os.environ if env is None else env)
    kept.pop("PYTHONDONTWRITEBYTECODE", None)
    kept["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return kept


class Process:
    """A child process we started: stopped (SIGTERM, then SIGKILL) on ``stop``."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None):
        self.name = name
        self.log_path = log
        self._log: IO[bytes] = log.open("ab")
        self.started = time.perf_counter()
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=with_bytecode(env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def rss_kib(self) -> int:
        """Resident set size now (``VmRSS`` in /proc/PID/status), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for {self.name}")

    def cpu_seconds(self) -> float:
        """User + system CPU time so far (/proc/PID/stat)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()

    def __enter__(self) -> Process:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator(state_dir: Path, seed: Path = DEMO_SEED) -> tuple[Process, EmulatorInfo]:
    state_dir.mkdir(parents=True, exist_ok=True)
    info_path = state_dir / "emulator.json"
    info_path.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "emulator", "--seed", str(seed), "--port", "0"]
    argv += ["--state-dir", str(state_dir)]
    process = Process("emulator", argv, state_dir / "emulator.log")
    deadline = time.monotonic() + 30
    while not info_path.exists():
        process.check_alive()
        if time.monotonic() > deadline:
            process.stop()
            raise RuntimeError("the emulator did not start within 30 s")
        time.sleep(0.05)
    time.sleep(0.05)  # the file is written in one go; give the writer a moment to close it
    raw = json.loads(info_path.read_text(encoding="utf-8"))
    return process, EmulatorInfo(raw["base_url"], Path(raw["ca_path"]), raw["tenant_id"])


def mailroom_env(emulator: EmulatorInfo, policy: Path, database: Path) -> dict[str, str]:
    """What ``mailroom serve`` needs against the emulator (as tests/support/botapp.env_for)."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("MAILROOM", "Microsoft"))}
    return {
        **keep,
        "MAILROOM_GRAPH_URL": f"{emulator.base_url}/v1.0",
        "MAILROOM_AUTHORITY_HOST": emulator.base_url,
        "MAILROOM_EXCHANGE_ADMIN_URL": f"{emulator.base_url}/adminapi/beta",
        "MAILROOM_CA_BUNDLE": str(emulator.ca_path),
        "MAILROOM_DATABASE_URL": f"sqlite:///{database}",
        "MAILROOM_CONFIG": str(policy),
        "MAILROOM_TEMPLATES_DIR": str(ROOT / "templates"),
        "MAILROOM_TENANT_DOMAIN": "contoso.com",
        "MAILROOM_GRAPH_CLIENT_ID": "2a1c1012-414a-4b28-bc36-e8290eddbaf4",
        "MAILROOM_GRAPH_CLIENT_SECRET": "demo-secret-not-for-production",
        "MAILROOM_GRAPH_TENANT_ID": emulator.tenant_id,
        "MAILROOM_ALLOWED_TENANTS": emulator.tenant_id,
    }


@dataclass(frozen=True)
class BotProcess:
    process: Process
    url: str  # http://127.0.0.1:PORT
    ready_s: float  # process start → /readyz 200


def start_mailroom(
    emulator: EmulatorInfo,
    policy: Path,
    database: Path,
    log: Path,
    extra_env: dict[str, str] | None = None,
) -> BotProcess:
    """``mailroom serve`` on a free port; ``extra_env`` overrides settings (e.g. a
    PostgreSQL ``MAILROOM_DATABASE_URL`` shared by replicas)."""
    port = free_port()
    argv = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = mailroom_env(emulator, policy, database) | (extra_env or {})
    return ready_on(Process("mailroom serve", argv, log, env=env), port)


def start_echo(emulator: EmulatorInfo, log: Path) -> BotProcess:
    port = free_port()
    argv = [sys.executable, "-m", "bench.echo_bot", "--port", str(port)]
    env = {**os.environ, "SSL_CERT_FILE": str(emulator.ca_path)}
    return ready_on(Process("echo bot", argv, log, env=env), port)


def ready_on(process: Process, port: int, within: float = 60.0) -> BotProcess:
    """Poll ``/readyz`` every 5 ms from the moment the process was started."""
    url = f"http://127.0.0.1:{port}"
    deadline = process.started + within
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return BotProcess(process, url, time.perf_counter() - process.started)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        process.check_alive()
        if time.perf_counter() > deadline:
            process.stop()
            raise RuntimeError(f"{process.name} was not ready within {within:.0f} s")
        time.sleep(0.005)
