"""With credentials configured, /api/messages refuses every caller it should (401, and
nothing happens), and still serves Teams.

Real signature validation runs offline through the signing-key seam: the bot is given the
emulator's JWKS in place of Microsoft's (docs/decisions/0002-jwt-test-seam.md); tokens are
signed with the emulator's key (genuine) or another key (forged). Everything else — the
SDK's validator, audience, lifetime, issuer allow-list, tenant binding — is production's.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest

from bot.app import create_app
from bot.identity import MsalTokenProvider
from bot.inbound_auth import SigningKeySource
from bot.settings import Secret, Settings
from emulator.testing import RunningEmulator
from tests.reliability.figures import Figures
from tests.security.tokens import Minter, emulator_keys, entra_issuer, other_key
from tests.support.activities import card_action, message
from tests.support.servers import http_client, serve

OTHER_TENANT = "5b0d1e0f-3c52-4b4e-9d1f-0a8b7c6d5e4f"
OTHER_APP = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"


@dataclass
class AuthedBot:
    url: str
    minter: Minter
    emulator: RunningEmulator
    http: httpx.AsyncClient

    def activity(self, text: str = "/help", **overrides: Any) -> dict[str, Any]:
        conversation = f"a:auth-{uuid.uuid4().hex[:12]}"
        activity = message(text, self.emulator.base_url)
        activity["conversation"] = {
            "id": conversation,
            "conversationType": "personal",
            "tenantId": self.emulator.tenant_id,
        }
        activity["channelData"] = {"tenant": {"id": self.emulator.tenant_id}}
        activity.update(overrides)
        return activity

    async def post(self, activity: dict[str, Any], authorization: str | None) -> httpx.Response:
        headers = {} if authorization is None else {"Authorization": authorization}
        return await self.http.post(f"{self.url}/api/messages", json=activity, headers=headers)

    def replies(self, activity: dict[str, Any]) -> list[dict[str, Any]]:
        return self.emulator.control.connector_activities(activity["conversation"]["id"])


def credentials(emulator: RunningEmulator, **overrides: Any) -> Settings:
    app = emulator.bot_app
    base: dict[str, Any] = {
        "host": "127.0.0.1",
        "app_id": app.client_id,
        "app_password": Secret(app.secret),
        "app_tenant_id": emulator.tenant_id,
        "allowed_tenants": (emulator.tenant_id,),
        "ca_bundle": emulator.ca_path,
        "authority_host": emulator.base_url,
    }
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
async def app_tokens(emulator: RunningEmulator) -> AsyncIterator[MsalTokenProvider]:
    app = emulator.bot_app
    provider = MsalTokenProvider(
        emulator.base_url, emulator.tenant_id, app.client_id, app.secret, emulator.ca_path
    )
    yield provider
    provider.close()


async def start(
    emulator: RunningEmulator,
    app_tokens: MsalTokenProvider,
    *,
    keys: SigningKeySource | None,
    settings: Settings | None = None,
) -> AsyncIterator[AuthedBot]:
    app = create_app(
        settings or credentials(emulator),
        app_token_source=app_tokens.app_token,
        signing_keys=keys,
    )
    async with serve(app) as url, http_client(timeout=20) as http:
        yield AuthedBot(url, Minter.for_emulator(emulator), emulator, http)


@pytest.fixture
async def bot(emulator: RunningEmulator, app_tokens: MsalTokenProvider) -> AsyncIterator[AuthedBot]:
    async for running in start(emulator, app_tokens, keys=emulator_keys(emulator)):
        yield running


@pytest.fixture
async def production_keys_bot(
    emulator: RunningEmulator, app_tokens: MsalTokenProvider
) -> AsyncIterator[AuthedBot]:
    """No seam: keys would come from Microsoft (never reached: these cases fail first)."""
    async for running in start(emulator, app_tokens, keys=None):
        yield running


def bearer(token: str) -> str:
    return f"Bearer {token}"


def unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# --- the positive controls -----------------------------------------------------------------


async def test_a_genuine_bot_framework_token_is_served(bot: AuthedBot) -> None:
    activity = bot.activity()
    response = await bot.post(activity, bearer(bot.minter.bot_framework()))
    assert response.status_code == 202, response.text
    replies = bot.replies(activity)
    assert len(replies) == 1
    assert "attachments" in replies[0].get("activity", replies[0])


async def test_a_genuine_entra_token_of_a_configured_trusted_caller_is_served(
    emulator: RunningEmulator, app_tokens: MsalTokenProvider
) -> None:
    """The token the Bot Framework Emulator sends (the bot's own app id as the caller) is
    served only once that app is named in MAILROOM_TRUSTED_CALLERS."""
    settings = credentials(emulator, trusted_callers=("channel", emulator.bot_app.client_id))
    async for bot in start(emulator, app_tokens, keys=emulator_keys(emulator), settings=settings):
        activity = bot.activity()
        response = await bot.post(activity, bearer(bot.minter.entra()))
        assert response.status_code == 202, response.text
        assert len(bot.replies(activity)) == 1


async def test_a_card_action_with_a_genuine_token_is_answered(bot: AuthedBot) -> None:
    activity = card_action("help.show", bot.emulator.base_url)
    activity["conversation"]["tenantId"] = bot.emulator.tenant_id
    activity["channelData"] = {"tenant": {"id": bot.emulator.tenant_id}}
    response = await bot.post(activity, bearer(bot.minter.bot_framework()))
    assert response.status_code == 200
    assert response.json()["statusCode"] == 200


# --- the attacks ---------------------------------------------------------------------------

Forge = Callable[[Minter], str | None]


def _claims(**overrides: Any) -> Forge:
    return lambda m: bearer(m.bot_framework(**overrides))


ATTACKS: dict[str, Forge] = {
    "no token": lambda m: None,
    "empty header": lambda m: "",
    "basic scheme": lambda m: "Basic YWRtaW46YWRtaW4=",
    "bearer without token": lambda m: "Bearer",
    "two tokens": lambda m: f"Bearer {m.bot_framework()} {m.bot_framework()}",
    "not a jwt": lambda m: "Bearer not.a.jwt",
    "signed by another key": lambda m: bearer(m.sign(m.claims(), key=other_key())),
    "unknown key id": lambda m: bearer(m.sign(m.claims(), headers={"kid": "no-such-key"})),
    "no key id": lambda m: bearer(m.sign(m.claims(), headers={})),
    "alg none": lambda m: bearer(unsigned(m.claims())),
    "hs256 with the public key": lambda m: bearer(
        jwt.encode(
            m.claims(),
            str(m.key.public_key().public_numbers().n),
            algorithm="HS256",
            headers={"kid": m.kid},
        )
    ),
    "tampered payload": lambda m: bearer(_tamper(m.bot_framework(), aud=m.app_id + "x")),
    "wrong audience: another app": _claims(aud=OTHER_APP),
    "wrong audience: bot framework": _claims(aud="https://api.botframework.com"),
    "wrong audience: a list": lambda m: bearer(m.bot_framework(aud=[m.app_id, OTHER_APP])),
    "no audience": _claims(aud=None),
    # Times are read when the attack runs, not when the module loads (a long run must not
    # turn "not yet valid" into valid).
    "expired": lambda m: bearer(
        m.bot_framework(exp=int(time.time()) - 600, nbf=int(time.time()) - 4000)
    ),
    "not yet valid": lambda m: bearer(m.bot_framework(nbf=int(time.time()) + 900)),
    "wrong issuer": _claims(iss="https://evil.example.com/"),
    "emulator issuer": lambda m: bearer(m.bot_framework(iss=f"{m.service_url}/{m.tenant_id}/v2.0")),
    "no issuer": _claims(iss=None),
    "another tenant": lambda m: bearer(m.entra(tenant=OTHER_TENANT)),
    "our issuer, another tenant id": lambda m: bearer(m.entra(tid=OTHER_TENANT)),
    "another tenant's issuer, our tenant id": lambda m: bearer(
        m.entra(iss=entra_issuer(OTHER_TENANT))
    ),
    "service url of another host": _claims(serviceurl="https://smba.trafficmanager.net/emea/"),
    "bot framework token without service url": _claims(serviceurl=None),
}


def _tamper(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_each_forged_or_missing_token_is_refused_with_401_and_nothing_happens(
    bot: AuthedBot, figures: Figures, attack: str
) -> None:
    activity = bot.activity()
    response = await bot.post(activity, ATTACKS[attack](bot.minter))
    figures.attack("authentication", refused=response.status_code == 401)
    assert response.status_code == 401, response.text
    assert bot.replies(activity) == []
    assert "token" not in response.text.lower().replace("invalid token", "")


async def test_an_activity_pointing_replies_elsewhere_is_refused(
    bot: AuthedBot, figures: Figures
) -> None:
    """A genuine token replayed with another serviceUrl: the bot's replies (which carry its
    own token) must not go there."""
    activity = bot.activity(serviceUrl="https://attacker.example.com/")
    response = await bot.post(activity, bearer(bot.minter.bot_framework()))
    figures.attack("authentication", refused=response.status_code == 401)
    assert response.status_code == 401
    log = bot.emulator.control.request_log()
    assert not [e for e in log if e["path"].startswith("/v3/")]


@pytest.mark.parametrize("attack", ["no token", "basic scheme", "not a jwt", "no key id"])
async def test_without_the_seam_the_same_requests_are_refused_before_any_key_is_fetched(
    production_keys_bot: AuthedBot, figures: Figures, attack: str
) -> None:
    bot = production_keys_bot
    activity = bot.activity()
    response = await bot.post(activity, ATTACKS[attack](bot.minter))
    figures.attack("authentication", refused=response.status_code == 401)
    assert response.status_code == 401
    assert bot.replies(activity) == []


async def test_in_anonymous_mode_a_presented_bad_token_is_still_refused(
    emulator: RunningEmulator, figures: Figures
) -> None:
    settings = Settings(host="127.0.0.1", ca_bundle=emulator.ca_path)
    async with serve(create_app(settings)) as url, http_client() as http:
        activity = message("/help", emulator.base_url)
        refused = await http.post(
            f"{url}/api/messages", json=activity, headers={"Authorization": "Bearer x.y.z"}
        )
        served = await http.post(f"{url}/api/messages", json=activity)
    figures.attack("authentication", refused=refused.status_code == 401)
    assert refused.status_code == 401
    assert served.status_code == 202


async def test_a_genuine_token_for_a_tenant_outside_the_allowed_list_is_refused(
    bot: AuthedBot, figures: Figures
) -> None:
    other = bot.activity(channelData={"tenant": {"id": OTHER_TENANT}})
    other["conversation"]["tenantId"] = OTHER_TENANT
    response = await bot.post(other, bearer(bot.minter.bot_framework()))
    replies = bot.replies(other)
    refused = len(replies) == 1 and "not enabled for your organisation" in replies[0].get(
        "activity", replies[0]
    ).get("text", "")
    figures.attack("tenant", refused=refused)
    assert response.status_code == 202
    assert refused, replies


async def test_a_card_action_from_a_tenant_outside_the_allowed_list_is_refused(
    bot: AuthedBot, figures: Figures
) -> None:
    activity = card_action("send.start", bot.emulator.base_url)
    activity["conversation"]["tenantId"] = OTHER_TENANT
    activity["channelData"] = {"tenant": {"id": OTHER_TENANT}}
    response = await bot.post(activity, bearer(bot.minter.bot_framework()))
    body = response.json()
    figures.attack("tenant", refused=body.get("statusCode") == 403)
    assert response.status_code == 200
    assert body["statusCode"] == 403
    assert body["value"]["code"] == "TenantNotAllowed"
    graph = [e for e in bot.emulator.control.request_log() if "/v1.0/" in e["path"]]
    assert graph == []


async def test_an_activity_without_any_tenant_is_refused_when_tenants_are_configured(
    bot: AuthedBot, figures: Figures
) -> None:
    activity = bot.activity()
    activity["channelData"] = {}
    activity["conversation"].pop("tenantId")
    response = await bot.post(activity, bearer(bot.minter.bot_framework()))
    replies = bot.replies(activity)
    refused = len(replies) == 1 and "not enabled" in str(replies[0])
    figures.attack("tenant", refused=refused)
    assert response.status_code == 202
    assert refused


async def test_the_production_wiring_replies_with_the_bots_own_token(
    emulator: RunningEmulator, figures: Figures
) -> None:
    """``mailroom serve`` builds the app without a test token source: with credentials it
    must still reply, carrying a Bot Framework token for its own app id (the connector
    refuses anything else)."""
    emulator.control.set_connector_auth(True)
    app = create_app(credentials(emulator), signing_keys=emulator_keys(emulator))
    async with serve(app) as url, http_client(timeout=20) as http:
        bot = AuthedBot(url, Minter.for_emulator(emulator), emulator, http)
        activity = bot.activity()
        response = await bot.post(activity, bearer(bot.minter.bot_framework()))
    assert response.status_code == 202, response.text
    replies = bot.replies(activity)
    calls = [e for e in emulator.control.request_log() if e["path"].startswith("/v3/")]
    assert len(replies) == 1
    assert {e["app_id"] for e in calls} == {emulator.bot_app.client_id}
