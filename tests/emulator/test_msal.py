"""The real msal ConfidentialClientApplication against the emulator's Entra ID."""

from __future__ import annotations

import msal
import pytest
import requests
from emu_helpers import GRAPH

from emulator.testing import RunningEmulator

GRAPH_DEFAULT = [f"{GRAPH}/.default"]


def _session(emu: RunningEmulator) -> requests.Session:
    # This machine sets REQUESTS_CA_BUNDLE, which requests prefers over a session's verify=;
    # trust_env=False makes the emulator's CA the one that counts.
    session = requests.Session()
    session.trust_env = False
    session.verify = str(emu.ca_path)
    return session


def _app(emu: RunningEmulator, session: requests.Session) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        emu.bot_app.client_id,
        client_credential=emu.bot_app.secret,
        authority=emu.authority,
        instance_discovery=False,
        http_client=session,
    )


def _token_requests(emu: RunningEmulator) -> list[dict]:
    return [e for e in emu.control.request_log() if e["path"].endswith("/oauth2/v2.0/token")]


def test_msal_app_only_token_and_second_call_from_cache(emulator: RunningEmulator) -> None:
    with _session(emulator) as session:
        app = _app(emulator, session)

        first = app.acquire_token_for_client(GRAPH_DEFAULT)
        second = app.acquire_token_for_client(GRAPH_DEFAULT)

    assert "access_token" in first, first
    assert first["token_source"] == "identity_provider"
    assert second["token_source"] == "cache"
    assert second["access_token"] == first["access_token"]
    requests_seen = _token_requests(emulator)
    assert [e["grant_type"] for e in requests_seen] == ["client_credentials"]


def test_msal_on_behalf_of_then_silent_reuse_for_the_same_user(emulator: RunningEmulator) -> None:
    sso = emulator.control.mint_user_token("alex.wilber@contoso.com")
    with _session(emulator) as session:
        app = _app(emulator, session)

        obo = app.acquire_token_on_behalf_of(sso, GRAPH_DEFAULT)
        accounts = app.get_accounts(username="alex.wilber@contoso.com")
        silent = app.acquire_token_silent(GRAPH_DEFAULT, account=accounts[0])

    assert "access_token" in obo, obo
    assert obo["id_token_claims"]["oid"] == "ef647522-59bf-4723-9a25-c8d14ca974ed"
    assert silent is not None
    assert silent["access_token"] == obo["access_token"]
    grants = [e["grant_type"] for e in _token_requests(emulator)]
    assert grants == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]


def test_msal_wrong_secret_returns_the_aadsts_error(emulator: RunningEmulator) -> None:
    with requests.Session() as session:
        session.trust_env = False
        session.verify = str(emulator.ca_path)
        app = msal.ConfidentialClientApplication(
            emulator.bot_app.client_id,
            client_credential="wrong-secret",
            authority=emulator.authority,
            instance_discovery=False,
            http_client=session,
        )
        result = app.acquire_token_for_client(GRAPH_DEFAULT)

    assert result["error"] == "invalid_client"
    assert 7000215 in result["error_codes"]


def test_msal_verify_parameter_works_when_no_ca_bundle_variable_overrides_it(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    app = msal.ConfidentialClientApplication(
        emulator.bot_app.client_id,
        client_credential=emulator.bot_app.secret,
        authority=emulator.authority,
        instance_discovery=False,
        verify=str(emulator.ca_path),
    )

    result = app.acquire_token_for_client(["https://outlook.office365.com/.default"])

    assert "access_token" in result, result
