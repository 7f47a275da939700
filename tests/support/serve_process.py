"""``mailroom serve`` as a real process on a free loopback port, against the emulator."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from emulator.testing import RunningEmulator
from tests.support.botapp import ROOT, env_for
from tests.support.servers import free_port


class ServeProcess:
    """``mailroom serve`` on a free loopback port, anonymous, against the emulator."""

    def __init__(
        self,
        emulator: RunningEmulator,
        tmp_path: Path,
        extra_env: dict[str, str] | None = None,
        *,
        name: str = "serve",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"{name}.log"
        env = env_for(emulator, tmp_path) | {"PYTHONPATH": str(ROOT), "MAILROOM_LOG_LEVEL": "INFO"}
        env |= extra_env or {}
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip

    async def ready(self) -> None:
        # Up to a minute: two processes importing at once on a busy two-CPU machine take
        # well over the usual second or two.
        async with httpx.AsyncClient() as client:
            for _ in range(1200):
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
        raise AssertionError("mailroom serve did not start:\n" + self.output()[-3000:])

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> int:
        self.process.send_signal(sig)
        return self.process.wait(20)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(15)
