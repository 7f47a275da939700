"""The Bot Framework token service stand-in: GetToken, exchange, sign-out, magic codes, expiry,
and the bot's app token on every call."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest
from emu_helpers import BOTFRAMEWORK, GRAPH, Tokens

from emulator.testing import RunningEmulator

JOHANNA = "johanna.lorenz@contoso.com"


@pytest.fixture
def service(emulator: RunningEmulator, https: httpx.Client, tokens: Tokens) -> TokenService:
    return TokenService(emulator, https, tokens.app(BOTFRAMEWORK))


class TokenService:
    def __init__(self, emu: RunningEmulator, http: httpx.Client, bot_token: str) -> None:
        self.emu = emu
        self.http = http
        self.headers = {"Authorization": f"Bearer {bot_token}"}

    def user_id(self, upn: str) -> str:
        account = self.emu.tenant.account(upn)
        assert account is not None
        return f"29:{account.id}"

    def params(self, upn: str, **extra: str) -> dict[str, str]:
        return {"userId": self.user_id(upn), "connectionName": "sso", "channelId": "msteams",
                **extra}  # fmt: skip

    def get_token(self, upn: str, **extra: str) -> httpx.Response:
        return self.http.get(
            "/api/usertoken/GetToken", params=self.params(upn, **extra), headers=self.headers
        )

    def exchange(self, upn: str, token: str) -> httpx.Response:
        body = {"uri": f"api://botid-{self.emu.bot_app.client_id}", "token": token}
        return self.http.post(
            "/api/usertoken/exchange", params=self.params(upn), json=body, headers=self.headers
        )

    def sign_out(self, upn: str) -> httpx.Response:
        return self.http.delete(
            "/api/usertoken/SignOut", params=self.params(upn), headers=self.headers
        )


def test_without_sign_in_get_token_is_404(service: TokenService) -> None:
    assert service.get_token(JOHANNA).status_code == 404


def test_every_call_needs_the_bots_app_token(
    service: TokenService, https: httpx.Client, tokens: Tokens
) -> None:
    params = service.params(JOHANNA)
    assert https.get("/api/usertoken/GetToken", params=params).status_code == 401
    graph_token = {"Authorization": f"Bearer {tokens.app(GRAPH)}"}
    assert (
        https.get("/api/usertoken/GetToken", params=params, headers=graph_token).status_code == 401
    )


def test_exchange_of_the_teams_sso_token_gives_the_connections_token_for_the_bot(
    service: TokenService, emulator: RunningEmulator
) -> None:
    sso = emulator.control.mint_user_token(JOHANNA)

    answer = service.exchange(JOHANNA, sso)

    assert answer.status_code == 200, answer.text
    claims = jwt.decode(answer.json()["token"], options={"verify_signature": False})
    assert claims["aud"] == emulator.bot_app.client_id
    assert claims["scp"] == "access_as_user"
    assert answer.json()["connectionName"] == "sso"
    # The token service keeps it: the next GetToken answers without a new sign-in.
    assert service.get_token(JOHANNA).json()["token"] == answer.json()["token"]


@pytest.mark.parametrize(
    "audience", ["https://graph.microsoft.com", "00000000-0000-0000-0000-000000000001"]
)
def test_exchange_refuses_a_token_for_another_resource(
    service: TokenService, emulator: RunningEmulator, audience: str
) -> None:
    other = emulator.control.mint_user_token(JOHANNA, audience=audience)

    answer = service.exchange(JOHANNA, other)

    assert answer.status_code == 400
    assert service.get_token(JOHANNA).status_code == 404


def test_exchange_refuses_another_users_token(
    service: TokenService, emulator: RunningEmulator
) -> None:
    alex = emulator.control.mint_user_token("alex.wilber@contoso.com")

    assert service.exchange(JOHANNA, alex).status_code == 400


def test_a_magic_code_is_redeemed_once_by_the_user_who_signed_in(
    service: TokenService, emulator: RunningEmulator
) -> None:
    code = emulator.control.complete_sign_in(JOHANNA)

    assert service.get_token("alex.wilber@contoso.com", code=code).status_code == 404
    answer = service.get_token(JOHANNA, code=code)
    assert answer.status_code == 200
    assert service.get_token(JOHANNA).json()["token"] == answer.json()["token"]
    assert service.get_token(JOHANNA, code=code).status_code == 404  # used up


def test_a_wrong_magic_code_gives_no_token(service: TokenService) -> None:
    assert service.get_token(JOHANNA, code="123456").status_code == 404


def test_sign_out_forgets_the_users_token(service: TokenService, emulator: RunningEmulator) -> None:
    assert service.exchange(JOHANNA, emulator.control.mint_user_token(JOHANNA)).status_code == 200

    assert service.sign_out(JOHANNA).status_code == 200

    assert service.get_token(JOHANNA).status_code == 404
    assert emulator.control.token_service_tokens() == []


def test_an_expired_token_is_not_handed_out(
    service: TokenService, emulator: RunningEmulator
) -> None:
    emulator.control.set_token_lifetime(1)
    answer = service.exchange(JOHANNA, emulator.control.mint_user_token(JOHANNA))
    assert answer.status_code == 200
    expires = jwt.decode(answer.json()["token"], options={"verify_signature": False})["exp"]

    deadline = time.monotonic() + 5
    while service.get_token(JOHANNA).status_code == 200:  # until the token's own exp passes
        assert time.monotonic() < deadline, "the expired token is still handed out"
        time.sleep(0.1)
    assert time.time() >= expires - 1


def test_sign_in_resource_names_the_exchange_uri_and_a_link(
    service: TokenService, emulator: RunningEmulator, https: httpx.Client
) -> None:
    state = base64.b64encode(json.dumps({"connectionName": "sso"}).encode()).decode()

    answer = https.get(
        "/api/botsignin/GetSignInResource", params={"state": state}, headers=service.headers
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["tokenExchangeResource"]["uri"] == f"api://botid-{emulator.bot_app.client_id}"
    assert body["signInLink"].startswith("https://")
