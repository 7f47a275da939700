"""Waiting until each ``mailroom dev`` process answers.

``wait_for`` polls a probe until it returns a value, the child exits, the deadline passes
(both → ``DevStartupFailed`` with the end of the child's log) or a stop is requested
(→ None). The probes are small and only ever talk to loopback.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from bot.devmode.processes import Child
from bot.errors import DevStartupFailed

T = TypeVar("T")

POLL_SECONDS = 0.2
PROBE_TIMEOUT = httpx.Timeout(3.0)
_LISTENING = re.compile(r"Listening on (\d+)")


def wait_for(
    child: Child,
    what: str,
    probe: Callable[[], T | None],
    *,
    deadline: float,
    should_stop: Callable[[], bool],
) -> T | None:
    while not should_stop():
        found = probe()
        if found is not None:
            return found
        code = child.exit_code()
        if code is not None:
            raise DevStartupFailed(child.name, f"exited with code {code}", log=child.tail())
        if time.monotonic() > deadline:
            raise DevStartupFailed(child.name, f"did not {what} in time", log=child.tail())
        time.sleep(POLL_SECONDS)
    return None


@dataclass(frozen=True)
class EmulatorInfo:
    """What ``python -m emulator`` writes to ``<state dir>/emulator.json``."""

    base_url: str
    ca_path: Path
    tenant_id: str
    teams_app_id: str | None = None  # Mailroom in its Teams app catalog


def emulator_probe(info_path: Path, pid: int) -> Callable[[], EmulatorInfo | None]:
    """Ready when the emulator (this very process) wrote its info file and serves HTTPS."""

    def probe() -> EmulatorInfo | None:
        try:
            raw = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if raw.get("pid") != pid:
            return None  # a stale file from an earlier run
        info = EmulatorInfo(
            raw["base_url"], Path(raw["ca_path"]), raw["tenant_id"], raw.get("teams_app_id")
        )
        url = f"{info.base_url}/{info.tenant_id}/v2.0/.well-known/openid-configuration"
        context = ssl.create_default_context(cafile=str(info.ca_path))
        return info if _status(url, verify=context) == 200 else None

    return probe


def bot_probe(base_url: str) -> Callable[[], bool | None]:
    """Ready when ``/readyz`` says so (its services, database included, have started)."""

    def probe() -> bool | None:
        return True if _status(f"{base_url}/readyz") == 200 else None

    return probe


def playground_probe(stdout_path: Path) -> Callable[[], int | None]:
    """Ready when it printed ``Listening on N`` and ``/_debug/ping`` answers; gives N."""

    def probe() -> int | None:
        try:
            text = stdout_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        match = _LISTENING.search(text)
        if match is None:
            return None
        port = int(match.group(1))
        return port if _status(f"http://127.0.0.1:{port}/_debug/ping") == 200 else None

    return probe


def _status(url: str, *, verify: ssl.SSLContext | bool = True) -> int | None:
    try:
        with httpx.Client(verify=verify, timeout=PROBE_TIMEOUT, trust_env=False) as client:
            return client.get(url).status_code
    except httpx.HTTPError:
        return None
