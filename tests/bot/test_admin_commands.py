"""mailroom doctor and mailroom explain against the emulator, as an admin runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from emulator.testing import RunningEmulator
from tests.support.botapp import ROOT, env_for


def mailroom(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip


def test_doctor_passes_every_check_against_the_demo_tenant(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    result = mailroom(env_for(emulator, tmp_path), "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines
    assert all(line.startswith(("PASS", "     ")) for line in lines), result.stdout
    assert any("app may send as noreply@contoso.com" in line for line in lines)


def test_doctor_names_the_failing_exchange_check_and_its_fix(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.control.add_fault("POST", "/adminapi/*", "error", count=100, status=503,
                               code="ServiceUnavailable")  # fmt: skip
    result = mailroom(env_for(emulator, tmp_path), "doctor")
    assert result.returncode == 1
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failing
    assert all("Exchange" in line for line in failing), failing
    assert "fix:" in result.stdout


def test_explain_shows_the_decision_facts_and_sources(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    result = mailroom(env_for(emulator, tmp_path), "explain", "grady.archie@contoso.com", "support")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Decision: DENIED")
    assert "Send As yes, Full Access no" in out
    assert "[exchange admin API]" in out
    assert "Add-MailboxPermission support@contoso.com -User grady.archie@contoso.com" in out
