"""mailroom doctor and mailroom explain against the emulator, as an admin runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from emulator.testing import RunningEmulator
from tests.bot.doctor_support import PERSON
from tests.support.botapp import ROOT, env_for


def mailroom(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip


def delegated_env(emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    """Set up for delegated senders as docs/deploy.md says: the OAuth connection and a key
    for the users' token caches."""
    return {
        **env_for(emulator, tmp_path),
        "MAILROOM_OAUTH_CONNECTION": "sso",
        "MAILROOM_TOKEN_CACHE_KEY": Fernet.generate_key().decode(),
    }


def test_doctor_passes_every_check_against_the_demo_tenant(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    token = tmp_path / "sso-token.txt"
    token.write_text(emulator.control.mint_user_token(PERSON, connection=True))
    env = delegated_env(emulator, tmp_path)

    result = mailroom(env, "doctor", "--sso-token-file", str(token))

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    verdicts = [line.split(" ", 2)[:2] for line in lines if not line.startswith("     ")]
    assert {verdict for verdict, _ in verdicts} <= {"PASS", "SKIP"}, result.stdout
    # Only a Teams client can show its own pre-authorisation; the rest is checked here.
    assert sorted(name for verdict, name in verdicts if verdict == "SKIP") == [
        "teams-sso-client-desktop",
        "teams-sso-client-web",
    ]
    assert ["PASS", "exchange-rbac-mail-send"] in verdicts


def test_doctor_without_a_user_token_says_what_it_did_not_check_and_how_to(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = delegated_env(emulator, tmp_path)

    result = mailroom(env, "doctor")

    assert result.returncode == 0, result.stdout + result.stderr
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIP")]
    assert any(line.startswith("SKIP graph-delegated-mail-send —") for line in skipped)
    assert "--sso-token-file" in result.stdout
    assert "by hand: Entra admin center → App registrations → Mailroom" in result.stdout


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
