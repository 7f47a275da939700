"""``mailroom dev`` on a machine without Node.js: the bot and the emulator still run, and
it says how to get the Teams-like UI."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.e2e.devrun import group_alive, running_dev

pytestmark = [pytest.mark.slow, pytest.mark.timeout(200)]


def test_without_node_the_bot_runs_and_the_banner_says_how_to_get_the_ui(
    tmp_path: Path,
) -> None:
    no_node = tmp_path / "empty-bin"
    no_node.mkdir()
    env = {**os.environ, "PATH": str(no_node)}
    with running_dev(tmp_path, [], env=env) as dev:
        assert dev.info["playground_url"] is None
        health = httpx.get(f"{dev.info['bot_url']}/healthz", timeout=10, trust_env=False)
        assert health.status_code == 200
        printed = dev.printed()
        assert "not started: Node.js is not installed" in printed, dev.logs()
        assert "Install Node.js 20" in printed
        pids = dict(dev.info["pids"])
        assert set(pids) == {"emulator", "bot"}
        assert dev.interrupt() == 0
    assert not [name for name, pid in pids.items() if group_alive(pid)]
