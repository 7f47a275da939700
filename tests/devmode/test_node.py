"""Finding Node.js and the pinned Agents Playground; starting it on loopback, telemetry off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.devmode import node as nodejs
from tests.e2e.playground import PINNED_VERSION

REPO_TOOLS = Path(__file__).resolve().parents[2] / "tools" / "node"


@pytest.mark.parametrize(
    ("setup", "problem"),
    [
        (nodejs.NodeSetup(None, None, None), "Node.js is not installed"),
        (
            nodejs.NodeSetup("/usr/bin/node", "/usr/bin/npm", "18.19.1"),
            "Node.js 18.19.1 is too old",
        ),
        (nodejs.NodeSetup("/usr/bin/node", None, "20.11.0"), "npm is not installed"),
        (nodejs.NodeSetup("/usr/bin/node", "/usr/bin/npm", "22.3.0"), None),
    ],
)
def test_node_problems_are_named(setup: nodejs.NodeSetup, problem: str | None) -> None:
    assert setup.problem == problem


def test_the_playground_is_pinned_to_an_exact_version() -> None:
    pinned = nodejs.pinned_version(REPO_TOOLS)
    assert pinned is not None
    assert pinned[0].isdigit(), f"{nodejs.PLAYGROUND_PACKAGE} must be pinned exactly: {pinned}"
    lock = json.loads((REPO_TOOLS / "package-lock.json").read_text(encoding="utf-8"))
    locked = lock["packages"][f"node_modules/{nodejs.PLAYGROUND_PACKAGE}"]["version"]
    assert locked == pinned
    assert pinned == PINNED_VERSION, "tests/e2e/playground.py was checked against another version"


def _tools(tmp_path: Path, pinned: str, installed: str | None) -> Path:
    tmp_path.mkdir()
    (tmp_path / "package.json").write_text(
        json.dumps({"dependencies": {nodejs.PLAYGROUND_PACKAGE: pinned}}), encoding="utf-8"
    )
    if installed is not None:
        package = nodejs.package_dir(tmp_path)
        package.mkdir(parents=True)
        (package / "package.json").write_text(json.dumps({"version": installed}), "utf-8")
    return tmp_path


def test_install_is_needed_when_missing_or_another_version(tmp_path: Path) -> None:
    assert nodejs.needs_install(_tools(tmp_path / "a", "0.2.28", None))
    assert nodejs.needs_install(_tools(tmp_path / "b", "0.2.28", "0.2.27"))
    assert not nodejs.needs_install(_tools(tmp_path / "c", "0.2.28", "0.2.28"))


def test_the_playground_starts_against_the_bot_with_telemetry_off() -> None:
    setup = nodejs.NodeSetup("/usr/bin/node", "/usr/bin/npm", "20.0.0")
    command = nodejs.playground_command(
        setup, REPO_TOOLS, "http://127.0.0.1:3978/api/messages", 56150
    )
    assert command[:3] == ["/usr/bin/node", "--require", str(REPO_TOOLS / "loopback-only.cjs")]
    assert "--disable-telemetry" in command
    assert command[command.index("--app-endpoint") + 1] == "http://127.0.0.1:3978/api/messages"
    assert command[command.index("--channel-id") + 1] == "msteams"
    assert command[command.index("--port") + 1] == "56150"


def test_the_playground_gets_no_proxy_and_no_browser(tmp_path: Path) -> None:
    base = {"PATH": "/usr/bin", "HTTPS_PROXY": "http://proxy:3128", "http_proxy": "http://p:1"}
    env = nodejs.playground_env(base, tmp_path / "pg.yml", tmp_path / "pg.log")
    assert "HTTPS_PROXY" not in env
    assert "http_proxy" not in env
    assert env["APPLICATION_INSIGHTS_NO_STATSBEAT"] == "true"
    assert env["TEAMSAPPTESTER_BROWSER"] == "none"
    assert env["M365_AGENTS_PLAYGROUND_CONFIG_PATH"] == str((tmp_path / "pg.yml").resolve())
    assert env["PATH"] == "/usr/bin"
