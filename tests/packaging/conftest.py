"""Fixtures for the Teams app package tests: the npm tools, a good set of options, and a way
to run ``mailroom package`` as a process with exactly the environment a test gives it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.node_tools import install_once

ROOT = Path(__file__).resolve().parents[2]
NODE_TOOLS = ROOT / "tools" / "node"
APP_ID = "3f1c2b7a-5d4e-4c3b-9a8f-1e2d3c4b5a69"

GOOD_ENV = {
    "MicrosoftAppId": APP_ID,
    "MAILROOM_PUBLIC_URL": "https://mailroom.contoso.com",
    "MAILROOM_PACKAGE_DEVELOPER_NAME": "Contoso IT",
    "MAILROOM_PACKAGE_PRIVACY_URL": "https://contoso.com/privacy",
    "MAILROOM_PACKAGE_TERMS_URL": "https://contoso.com/terms",
}

# Until `package` is listed in bot.cli.COMMAND_MODULES, register it on a parser of our own.
_RUNNER = """
import argparse, sys
from bot import cli
if "package" in cli.COMMAND_MODULES:
    sys.exit(cli.main(["package", *sys.argv[1:]]))
from bot.cli_commands import package
parser = argparse.ArgumentParser(prog="mailroom")
package.register(parser.add_subparsers())
args = parser.parse_args(["package", *sys.argv[1:]])
sys.exit(args.handler(args))
"""


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def mailroom_package(*args: str, env: dict[str, str], cwd: Path, path: str | None = None) -> Run:
    """Run `mailroom package ARGS` in ``cwd`` with only ``env`` (plus PATH and HOME)."""
    process_env = {
        "PATH": os.environ.get("PATH", "") if path is None else path,
        "HOME": os.environ.get("HOME", str(cwd)),
        "PYTHONPATH": str(ROOT),
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER, *args],
        capture_output=True,
        text=True,
        env=process_env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """tools/node with its npm packages installed (`npm ci` on first use)."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed here; the schema check needs it (CI has it)")
    npm = shutil.which("npm")
    assert npm is not None, "node is installed but npm is not"
    install_once(
        npm, NODE_TOOLS, (NODE_TOOLS / "node_modules" / "@microsoft" / "app-manifest").is_dir
    )
    return NODE_TOOLS
