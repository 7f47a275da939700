"""Run ``mailroom dev`` as a subprocess for a test: in a temporary directory, on free ports,
stopped with SIGINT like a Ctrl-C. ``python -m bot.devmode`` is the same code as
``mailroom dev`` (see bot/devmode/__main__.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.devmode import node as nodejs
from bot.devmode import playground_config
from bot.devmode.readiness import playground_probe
from emulator.seed import DEMO_SEED, load_seed
from emulator.testing import EmulatorControl

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools" / "node"
# The acceptance bar: a Playground that answers within 30 s of starting (the one-time npm
# install excluded). `mailroom dev` enforces it with its own deadline; tests wait longer
# so that a failure comes with every process's output rather than a bare timeout.
STARTUP_DEADLINE = 30
TEST_WAIT = 90
STOP_WAIT = 30


class DevRunFailed(AssertionError):
    """``mailroom dev`` did not start or stop as expected; the message has its output."""


@dataclass
class DevRun:
    process: subprocess.Popen[bytes]
    workdir: Path
    output: Path
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def playground_url(self) -> str:
        url = self.info.get("playground_url")
        if not isinstance(url, str):
            raise DevRunFailed("mailroom dev started without the Playground\n" + self.logs())
        return url

    def printed(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def logs(self) -> str:
        """Everything the processes printed (ours, the bot's, the emulator's, the
        Playground's), for failure messages."""
        parts = []
        log_dir = self.workdir / ".mailroom" / "logs"
        for path in (self.output, *sorted(log_dir.glob("*"))):
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                parts.append(f"===== {path.name} =====\n{text[-6000:]}")
        return "\n".join(parts)

    def emulator(self) -> EmulatorControl:
        """The emulator's control API (mailboxes, external deliveries, request log); close it
        after use."""
        return EmulatorControl(self.info["emulator_url"], Path(self.info["ca_path"]))

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to ``mailroom dev`` (its children are in their own groups);
        its exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            raise DevRunFailed(
                f"mailroom dev did not stop within {STOP_WAIT} s of SIGINT\n" + self.logs()
            ) from None


@contextmanager
def running_dev(
    workdir: Path, args: list[str], env: Mapping[str, str] | None = None
) -> Iterator[DevRun]:
    """Start ``mailroom dev`` and wait for ``.mailroom/dev.json`` (everything answers)."""
    environment = dict(os.environ if env is None else env)
    environment.update(
        {
            "MAILROOM_CONFIG": str(REPO / "mailroom.example.toml"),
            "MAILROOM_TEMPLATES_DIR": str(REPO / "templates"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    command = [
        sys.executable, "-m", "bot.cli", "dev",
        "--port", "0", "--playground-port", "0",
        "--startup-timeout", str(STARTUP_DEADLINE),
        *args,
    ]  # fmt: skip
    output = workdir / "mailroom-dev.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    run = DevRun(process, workdir, output)
    try:
        run.info = _wait_for_run_file(run)
        yield run
    finally:
        if process.poll() is None:
            run.interrupt()


def _wait_for_run_file(run: DevRun) -> dict[str, Any]:
    run_file = run.workdir / ".mailroom" / "dev.json"
    deadline = time.monotonic() + TEST_WAIT
    while time.monotonic() < deadline:
        if run_file.is_file():
            info: dict[str, Any] = json.loads(run_file.read_text(encoding="utf-8"))
            return info
        code = run.process.poll()
        if code is not None:
            raise DevRunFailed(f"mailroom dev exited with {code} while starting\n{run.logs()}")
        time.sleep(0.2)
    raise DevRunFailed(f"mailroom dev did not come up in {TEST_WAIT} s\n{run.logs()}")


def group_alive(pgid: int) -> bool:
    """Each child of ``mailroom dev`` leads its own process group: is anything left in it?"""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class PlaygroundRun:
    """A second Agents Playground (see ``running_playground``)."""

    process: subprocess.Popen[bytes]
    workdir: Path
    url: str
    user_upn: str

    def logs(self) -> str:
        parts = []
        for name in ("playground.out", "playground.log"):
            path = self.workdir / name
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                parts.append(f"===== {self.user_upn}: {name} =====\n{text[-6000:]}")
        return "\n".join(parts)


@contextmanager
def running_playground(
    workdir: Path,
    *,
    user: str,
    messaging_endpoint: str,
    seed: Path = DEMO_SEED,
    env: Mapping[str, str] | None = None,
) -> Iterator[PlaygroundRun]:
    """Another Agents Playground in which ``user`` (a demo user, named as for ``--as``) is the
    current user, talking to the same bot as a running ``mailroom dev``.

    This is how a test gets a second person with their own personal chat with the bot: one
    Playground shows only its current user's chats on its WebSocket (a proactive card to
    another user's personal chat is stored but never sent), just as each Teams user has their
    own client. Started exactly as ``mailroom dev`` starts its own (loopback only, no
    telemetry), on a free port; stopped with SIGTERM (SIGKILL after ``STOP_WAIT`` s).
    ``env``: its environment instead of this process's (e.g. a shared service URL)."""
    setup = nodejs.find_node()
    if setup.problem is not None:
        raise DevRunFailed(f"a second Playground needs Node.js: {setup.problem}")
    tenant = load_seed(seed)
    account = playground_config.pick_user(tenant, user)
    config = playground_config.write(
        workdir / playground_config.CONFIG_FILE_NAME, tenant, account, source=seed.name
    )
    stdout = workdir / "playground.out"
    command = nodejs.playground_command(setup, TOOLS, messaging_endpoint, 0)
    environment = nodejs.playground_env(
        os.environ if env is None else env, config, workdir / "playground.log"
    )
    with stdout.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    run = PlaygroundRun(process, workdir, "", account.upn)
    try:
        probe = playground_probe(stdout)
        deadline = time.monotonic() + TEST_WAIT
        while (port := probe()) is None:
            code = process.poll()
            if code is not None:
                raise DevRunFailed(f"the Playground for {user} exited with {code}\n{run.logs()}")
            if time.monotonic() > deadline:
                raise DevRunFailed(f"the Playground for {user} did not answer\n{run.logs()}")
            time.sleep(0.2)
        run.url = f"http://127.0.0.1:{port}"
        yield run
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(STOP_WAIT)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
