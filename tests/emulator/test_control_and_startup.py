"""Control API, state reset, the standalone process, TLS material reuse."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from emu_helpers import Tokens, bearer, mail

from emulator.seed import DEMO_SEED
from emulator.state import TeamsApps
from emulator.testing import RunningEmulator, start_emulator_thread


def test_reset_empties_mailboxes_log_faults_and_connector(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    https.post(
        "/v1.0/users/support@contoso.com/sendMail", headers=bearer(tokens.app()), json=mail()
    ).raise_for_status()
    https.post("/v3/conversations/a:1/activities", json={"type": "message"}).raise_for_status()
    emulator.control.add_fault("GET", "/v1.0/*", "error", count=10)

    emulator.control.reset()

    assert emulator.control.mailbox("support@contoso.com", "sentitems") == []
    assert emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox") == []
    assert emulator.control.request_log() == []
    assert emulator.control.connector_activities() == []
    assert https.get("/v1.0/users/hr@contoso.com", headers=bearer(tokens.app())).status_code == 200


def test_request_log_names_app_subject_and_ids(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.user("diego.siciliani@contoso.com")
    emulator.control.clear_log()

    https.post(
        "/v1.0/me/sendMail", headers=bearer(token, **{"client-request-id": "c-1"}), json=mail()
    )

    (entry,) = emulator.control.request_log()
    assert entry["method"] == "POST"
    assert entry["path"] == "/v1.0/me/sendMail"
    assert entry["status"] == 202
    assert entry["app_id"] == emulator.bot_app.client_id
    assert entry["subject"] == "diego.siciliani@contoso.com"
    assert entry["oid"] == "d2a2dd2a-f72f-41cc-8301-88b803eea8ab"
    assert entry["client_request_id"] == "c-1"
    assert entry["request_id"]
    assert entry["time"]


def test_mailbox_inspection_of_an_unknown_mailbox_is_404(emulator: RunningEmulator) -> None:
    with pytest.raises(httpx.HTTPStatusError):
        emulator.control.mailbox("sales@contoso.com", "inbox")


def test_tenant_summary_lists_the_seed(emulator: RunningEmulator) -> None:
    summary = emulator.control.tenant()

    assert summary["tenant_id"] == emulator.tenant_id == "07e2b795-ff98-4e03-90a4-fcf918d3baac"
    assert summary["domain"] == emulator.domain == "contoso.com"
    kinds = {a["upn"]: a["kind"] for a in summary["accounts"]}
    assert kinds["support@contoso.com"] == "shared"
    assert kinds["noreply@contoso.com"] == "noreply"


def test_unknown_path_is_a_json_404(emulator: RunningEmulator, https: httpx.Client) -> None:
    answer = https.get("/nothing/here/at/all/really")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "NotFound"


def test_restart_on_the_same_state_dir_reuses_the_ca(tmp_path: Path) -> None:
    with start_emulator_thread(state_dir=tmp_path) as first:
        first_ca = first.ca_path.read_bytes()
    with start_emulator_thread(state_dir=tmp_path) as second:
        assert second.ca_path.read_bytes() == first_ca
        assert second.control.health()["status"] == "ok"


def test_standalone_process_serves_and_writes_emulator_json(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--seed",
            str(DEMO_SEED),
            "--port",
            "0",
            "--state-dir",
            str(state_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info_path = state_dir / "emulator.json"
        deadline = time.monotonic() + 20
        while not info_path.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        info = json.loads(info_path.read_text())
        assert info["pid"] == process.pid
        assert info["tenant_id"] == "07e2b795-ff98-4e03-90a4-fcf918d3baac"
        assert info["teams_app_id"] == TeamsApps.catalog_id  # Mailroom in its app catalog
        context = ssl.create_default_context(cafile=info["ca_path"])
        answer = httpx.get(f"{info['base_url']}/_emulator/health", verify=context)
        assert answer.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "listening on https://127.0.0.1:" in out
    assert not (state_dir / "emulator.json").exists()


def test_standalone_refuses_a_non_loopback_host(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--host", "0.0.0.0", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
        check=False,
    )

    assert result.returncode == 2
    assert "--allow-remote" in result.stderr
