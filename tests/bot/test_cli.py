"""The mailroom command as a user runs it: exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mailroom(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "MAILROOM"))}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_serve_on_a_public_address_without_credentials_exits_2_and_says_what_to_set() -> None:
    result = mailroom("serve", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "MicrosoftAppId" in result.stderr
    assert "127.0.0.1" in result.stderr


def test_a_nonsense_app_type_exits_2_naming_the_variable() -> None:
    result = mailroom("serve", env={"MicrosoftAppType": "Nonsense"})
    assert result.returncode == 2
    assert "MicrosoftAppType" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_command_has_help() -> None:
    top = mailroom("--help")
    assert top.returncode == 0
    for command in ("serve", "version"):
        assert command in top.stdout
        assert mailroom(command, "--help").returncode == 0


def test_version_prints_the_version() -> None:
    result = mailroom("version")
    assert result.returncode == 0
    assert result.stdout.startswith("mailroom ")
