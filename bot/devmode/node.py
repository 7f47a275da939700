"""Node.js and the Microsoft 365 Agents Playground (npm), for ``mailroom dev``.

The Playground is pinned in ``tools/node/package.json`` + ``package-lock.json`` (its HTTP
API is internal and changes between versions) and installed with ``npm ci`` the first time
it is needed. It is started as ``node --require loopback-only.cjs cli.js ...`` so that it
listens on 127.0.0.1 only, with every telemetry switch off and no proxy.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MIN_NODE_MAJOR = 20
PLAYGROUND_PACKAGE = "@microsoft/m365agentsplayground"
HOW_TO_GET_NODE = (
    "Install Node.js 20 or newer (https://nodejs.org, or your package manager, e.g. "
    "`sudo apt install nodejs npm`) and start again: the Teams-like UI is then installed "
    "into tools/node on first use."
)
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


@dataclass(frozen=True)
class NodeSetup:
    """What was found on PATH; ``problem`` says why the Playground cannot run, if it cannot."""

    node: str | None
    npm: str | None
    version: str | None

    @property
    def problem(self) -> str | None:
        if self.node is None:
            return "Node.js is not installed"
        major = _major(self.version)
        if major is None or major < MIN_NODE_MAJOR:
            return f"Node.js {self.version or '(unknown version)'} is too old"
        if self.npm is None:
            return "npm is not installed"
        return None


def find_node() -> NodeSetup:
    node = shutil.which("node")
    version = None
    if node is not None:
        try:
            result = subprocess.run(  # noqa: S603 - the node found on PATH, fixed arguments
                [node, "--version"], capture_output=True, text=True, timeout=15, check=False
            )
            version = result.stdout.strip().lstrip("v") or None
        except (OSError, subprocess.TimeoutExpired):
            version = None
    return NodeSetup(node=node, npm=shutil.which("npm"), version=version)


def _major(version: str | None) -> int | None:
    match = re.match(r"(\d+)\.", version or "")
    return int(match.group(1)) if match else None


def package_dir(tools_dir: Path) -> Path:
    return tools_dir / "node_modules" / PLAYGROUND_PACKAGE


def pinned_version(tools_dir: Path) -> str | None:
    manifest = json.loads((tools_dir / "package.json").read_text(encoding="utf-8"))
    version = manifest.get("dependencies", {}).get(PLAYGROUND_PACKAGE)
    return version if isinstance(version, str) else None


def installed_version(tools_dir: Path) -> str | None:
    manifest = package_dir(tools_dir) / "package.json"
    if not manifest.is_file():
        return None
    version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    return version if isinstance(version, str) else None


def needs_install(tools_dir: Path) -> bool:
    wanted = pinned_version(tools_dir)
    return wanted is None or installed_version(tools_dir) != wanted


def npm_ci(setup: NodeSetup, tools_dir: Path, log_path: Path) -> int:
    """``npm ci`` in ``tools_dir`` (exactly the lock file); the exit code, output in the log."""
    assert setup.npm is not None
    with log_path.open("w", encoding="utf-8") as log:
        return subprocess.run(  # noqa: S603 - the npm found on PATH, fixed arguments
            [setup.npm, "ci", "--no-audit", "--no-fund"],
            cwd=tools_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        ).returncode


def playground_command(setup: NodeSetup, tools_dir: Path, endpoint: str, port: int) -> list[str]:
    """``port`` 0 lets the Playground pick a free one (it prints ``Listening on N``)."""
    assert setup.node is not None
    return [
        setup.node,
        "--require",
        str(tools_dir / "loopback-only.cjs"),
        str(package_dir(tools_dir) / "cli.js"),
        "--app-endpoint",
        endpoint,
        "--channel-id",
        "msteams",
        "--disable-telemetry",
        "--port",
        str(port),
    ]


def playground_env(base: Mapping[str, str], config_path: Path, log_path: Path) -> dict[str, str]:
    env = {key: value for key, value in base.items() if key not in _PROXY_VARIABLES}
    env.update(
        {
            "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
            "TEAMSAPPTESTER_BROWSER": "none",  # do not open a browser
            "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(config_path.resolve()),
            "M365_AGENTS_PLAYGROUND_LOGFILE": str(log_path.resolve()),
            "NO_PROXY": "127.0.0.1,localhost,::1",
        }
    )
    return env
