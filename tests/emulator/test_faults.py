"""Injected faults: error, delay, throttle, drop_after_accept, drop_before_accept,
close_before_read — each through real HTTPS."""

from __future__ import annotations

import httpx
import pytest
from emu_helpers import EXCHANGE, Tokens, bearer, mail

from emulator.testing import EmulatorControl, RunningEmulator

SEND = "/v1.0/users/support@contoso.com/sendMail"


def _client(emu: RunningEmulator) -> httpx.Client:
    return httpx.Client(base_url=emu.base_url, verify=emu.ssl_context(), timeout=10)


def _sent(emu: RunningEmulator) -> list[dict]:
    return emu.control.mailbox("support@contoso.com", "sentitems")


def test_error_fault_answers_the_status_and_code_for_the_next_n(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.add_fault(
        "POST", "/v1.0/users/*/sendMail", "error", count=2, status=503, code="ErrorServerBusy"
    )
    headers = bearer(tokens.app())

    answers = [https.post(SEND, headers=headers, json=mail()) for _ in range(3)]

    assert [a.status_code for a in answers] == [503, 503, 202]
    assert answers[0].json()["error"]["code"] == "ErrorServerBusy"
    assert (
        answers[0].headers["request-id"] == answers[0].json()["error"]["innerError"]["request-id"]
    )
    assert len(_sent(emulator)) == 1


def test_error_fault_can_carry_any_graph_code(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.add_fault("POST", SEND, "error", status=400, code="ErrorQuotaExceeded")

    answer = https.post(SEND, headers=bearer(tokens.app()), json=mail())

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "ErrorQuotaExceeded"


def test_fault_matches_only_its_method(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.add_fault("GET", SEND, "error", status=500)

    assert https.post(SEND, headers=bearer(tokens.app()), json=mail()).status_code == 202


def test_throttle_fault_is_429_with_retry_after(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.add_fault("POST", SEND, "throttle", retry_after=1.5)

    answer = https.post(SEND, headers=bearer(tokens.app()), json=mail())

    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "1.5"
    assert _sent(emulator) == []


def test_delay_fault_waits_then_handles(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.add_fault("POST", SEND, "delay", delay=0.3)

    answer = https.post(SEND, headers=bearer(tokens.app()), json=mail())

    assert answer.status_code == 202
    (entry,) = [e for e in emulator.control.request_log() if e["path"] == SEND]
    assert entry["fault"] == "delay"
    assert entry["duration_ms"] >= 300


def test_drop_after_accept_delivers_and_gives_no_answer(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    emulator.control.add_fault("POST", SEND, "drop_after_accept")

    with _client(emulator) as client, pytest.raises(httpx.RemoteProtocolError):
        client.post(SEND, headers=bearer(tokens.app()), json=mail("maybe sent"))

    assert [m["subject"] for m in _sent(emulator)] == ["maybe sent"]
    (entry,) = [e for e in emulator.control.request_log() if e["path"] == SEND]
    assert (entry["status"], entry["fault"]) == (202, "drop_after_accept")


def test_drop_before_accept_delivers_nothing(emulator: RunningEmulator, tokens: Tokens) -> None:
    emulator.control.add_fault("POST", SEND, "drop_before_accept")

    with _client(emulator) as client, pytest.raises(httpx.RemoteProtocolError):
        client.post(SEND, headers=bearer(tokens.app()), json=mail("not sent"))

    assert _sent(emulator) == []
    (entry,) = [e for e in emulator.control.request_log() if e["path"] == SEND]
    assert (entry["status"], entry["fault"]) == (None, "drop_before_accept")


def test_close_before_read_fails_the_next_new_connection_at_connect(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    token = tokens.app()
    with _client(emulator) as client:
        assert (
            client.get("/v1.0/users/adele.vance@contoso.com", headers=bearer(token)).status_code
            == 200
        )
        emulator.control.add_fault("POST", SEND, "close_before_read")

        with pytest.raises(httpx.ConnectError):
            client.post(SEND, headers=bearer(token), json=mail("never sent"))
        retried = client.post(SEND, headers=bearer(token), json=mail("retried"))

    assert retried.status_code == 202
    assert [m["subject"] for m in _sent(emulator)] == ["retried"]
    faults = [e["fault"] for e in emulator.control.request_log() if e["fault"]]
    assert faults == ["close_before_read"]


def test_after_a_dropped_connection_the_next_request_is_served(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    emulator.control.add_fault("POST", SEND, "drop_after_accept")
    with _client(emulator) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(SEND, headers=bearer(tokens.app()), json=mail())

        assert client.post(SEND, headers=bearer(tokens.app()), json=mail()).status_code == 202


def test_fault_on_the_token_endpoint_uses_the_aad_body(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    emulator.control.add_fault("POST", "/*/oauth2/v2.0/token", "error", status=503)

    answer = tokens.request(
        grant_type="client_credentials",
        client_id=emulator.bot_app.client_id,
        client_secret=emulator.bot_app.secret,
        scope="https://graph.microsoft.com/.default",
    )

    assert answer.status_code == 503
    assert answer.json()["error_description"].startswith("AADSTS")


def test_fault_on_the_exchange_admin_endpoint(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.add_fault("POST", "/adminapi/*", "error", status=503)

    answer = https.post(
        f"/adminapi/beta/{emulator.tenant_id}/InvokeCommand",
        headers=bearer(tokens.app(resource=EXCHANGE)),
        json={"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}},
    )

    assert answer.status_code == 503


def test_clear_faults_disarms_everything(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.add_fault("*", "*", "error", count=100, status=500)
    emulator.control.clear_faults()

    assert https.post(SEND, headers=bearer(tokens.app()), json=mail()).status_code == 202


def test_control_endpoints_are_never_faulted(emulator: RunningEmulator) -> None:
    emulator.control.add_fault("*", "*", "error", count=100, status=500)

    assert emulator.control.mailbox("support@contoso.com", "sentitems") == []


def test_unknown_fault_kind_is_refused(emulator: RunningEmulator) -> None:
    with pytest.raises(httpx.HTTPStatusError):
        emulator.control.add_fault("POST", SEND, "explode")


def test_close_before_read_never_hits_the_control_client(emulator: RunningEmulator) -> None:
    emulator.control.add_fault("*", "*", "close_before_read", count=5)
    fresh = EmulatorControl(emulator.base_url, emulator.ca_path)  # a brand-new connection

    try:
        assert fresh.health()["status"] == "ok"
        assert fresh.request_log() == []
    finally:
        fresh.close()
