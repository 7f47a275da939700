"""Graph checks every token: presence, signature, audience, expiry; and the permissions."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from emu_helpers import EXCHANGE, GRAPH, REPORTING_APP, REPORTING_SECRET, Tokens, bearer, mail

from emulator.testing import RunningEmulator


def _forge(emu: RunningEmulator, **overrides: object) -> str:
    """A token signed with the emulator's own key but with chosen claims."""
    key = serialization.load_pem_private_key(
        (emu.state_dir / "signing-key.pem").read_bytes(), password=None
    )
    good = jwt.decode(
        emu.control.mint_user_token("adele.vance@contoso.com"), options={"verify_signature": False}
    )
    header = jwt.get_unverified_header(emu.control.mint_user_token("adele.vance@contoso.com"))
    claims = {**good, "aud": GRAPH, "scp": "Mail.Send", **overrides}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})  # type: ignore[arg-type]


def _send(https: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    return https.post("/v1.0/me/sendMail", headers=headers, json=mail())


def _assert_401(answer: httpx.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert answer.headers["request-id"] == answer.json()["error"]["innerError"]["request-id"]


def test_missing_token_is_401(emulator: RunningEmulator, https: httpx.Client) -> None:
    _assert_401(_send(https, {}))


def test_token_for_another_audience_is_401(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    _assert_401(_send(https, bearer(tokens.app(resource=EXCHANGE))))


def test_expired_token_is_401(emulator: RunningEmulator, https: httpx.Client) -> None:
    past = int(time.time()) - 7200
    token = _forge(emulator, iat=past, nbf=past, exp=past + 60)

    answer = _send(https, bearer(token))

    _assert_401(answer)
    assert "expired" in answer.json()["error"]["message"]


def test_tampered_token_is_401(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    head, body, signature = tokens.user("adele.vance@contoso.com").split(".")

    _assert_401(_send(https, bearer(f"{head}.{body}x.{signature}")))


def test_token_from_another_issuer_is_401(emulator: RunningEmulator, https: httpx.Client) -> None:
    token = _forge(emulator, iss="https://login.microsoftonline.com/common/v2.0")

    _assert_401(_send(https, bearer(token)))


def test_forged_token_with_valid_claims_is_accepted(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    # Guards the forging helper above: only the overridden claim makes the others fail.
    assert _send(https, bearer(_forge(emulator))).status_code == 202


def test_app_without_mail_send_role_is_access_denied(
    https: httpx.Client, tokens: Tokens, emulator: RunningEmulator
) -> None:
    token = tokens.app(client_id=REPORTING_APP, secret=REPORTING_SECRET)

    answer = https.post(
        "/v1.0/users/support@contoso.com/sendMail", headers=bearer(token), json=mail()
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ErrorAccessDenied"


def test_delegated_token_without_mail_send_shared_cannot_use_another_mailbox(
    https: httpx.Client, tokens: Tokens, emulator: RunningEmulator
) -> None:
    token = tokens.user("adele.vance@contoso.com", scope=f"{GRAPH}/Mail.Send")

    answer = https.post(
        "/v1.0/users/support@contoso.com/sendMail", headers=bearer(token), json=mail()
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ErrorAccessDenied"


def test_delegated_token_without_mail_send_cannot_send_at_all(
    https: httpx.Client, tokens: Tokens, emulator: RunningEmulator
) -> None:
    token = tokens.user("adele.vance@contoso.com", scope=f"{GRAPH}/User.Read")

    answer = https.post("/v1.0/me/sendMail", headers=bearer(token), json=mail())

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ErrorAccessDenied"


@pytest.mark.parametrize("path", ["/v1.0/me", "/v1.0/users/support@contoso.com/sendMail"])
def test_every_answer_carries_request_id_and_echoes_client_request_id(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens, path: str
) -> None:
    answer = https.post(
        path,
        headers=bearer(tokens.user("megan.bowen@contoso.com"), **{"client-request-id": "abc-123"}),
        json=mail(),
    )

    assert answer.headers["request-id"]
    assert answer.headers["client-request-id"] == "abc-123"
    if answer.status_code >= 400:
        inner = answer.json()["error"]["innerError"]
        assert inner["client-request-id"] == "abc-123"
        assert inner["request-id"] == answer.headers["request-id"]
        assert inner["date"]
