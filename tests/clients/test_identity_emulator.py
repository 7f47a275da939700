"""MsalTokenProvider against the emulator's Entra ID over HTTPS: caching, on-behalf-of reuse
per user, and errors that say what Entra said without leaking the secret."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import jwt
import pytest

from bot.errors import ConsentRequired, TokenAcquisitionError
from bot.graph import APP, AsUser, GraphClient
from bot.identity import EXCHANGE_RESOURCE, GRAPH_RESOURCE, MsalTokenProvider
from emulator.testing import RunningEmulator
from tests.clients.conftest import LIVE_TIMEOUTS

ADELE = "adele.vance@contoso.com"
ALEX = "alex.wilber@contoso.com"


def oid_of(emulator: RunningEmulator, upn: str) -> str:
    account = emulator.tenant.account(upn)
    assert account is not None
    return account.id


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def token_requests(emulator: RunningEmulator, grant: str | None = None) -> list[dict[str, Any]]:
    return [
        entry
        for entry in emulator.control.request_log()
        if entry["path"].endswith("/oauth2/v2.0/token")
        and (grant is None or entry["grant_type"] == grant)
    ]


OBO = "urn:ietf:params:oauth:grant-type:jwt-bearer"


async def test_a_second_graph_call_makes_no_token_request(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    await live_graph.get_user(APP, ADELE)
    await live_graph.get_user(APP, ALEX)

    assert len(token_requests(emulator, "client_credentials")) == 1
    graph_calls = [e for e in emulator.control.request_log() if e["path"].startswith("/v1.0/")]
    assert [e["status"] for e in graph_calls] == [200, 200]


async def test_concurrent_first_calls_share_one_token_request(
    emulator: RunningEmulator, msal_tokens: MsalTokenProvider
) -> None:
    tokens = await asyncio.gather(*(msal_tokens.app_token(GRAPH_RESOURCE) for _ in range(10)))

    assert len(set(tokens)) == 1
    assert len(token_requests(emulator, "client_credentials")) == 1


async def test_app_tokens_are_per_resource(msal_tokens: MsalTokenProvider) -> None:
    graph = claims(await msal_tokens.app_token(GRAPH_RESOURCE))
    exchange = claims(await msal_tokens.app_token(EXCHANGE_RESOURCE))

    assert graph["aud"] == GRAPH_RESOURCE
    assert exchange["aud"] == EXCHANGE_RESOURCE


async def test_an_obo_token_is_reused_for_the_same_user_and_never_for_another(
    emulator: RunningEmulator, msal_tokens: MsalTokenProvider
) -> None:
    adele, alex = oid_of(emulator, ADELE), oid_of(emulator, ALEX)
    adele_sso = emulator.control.mint_user_token(ADELE)

    first = await msal_tokens.user_token(adele, adele_sso, GRAPH_RESOURCE)
    again = await msal_tokens.user_token(adele, None, GRAPH_RESOURCE)

    assert again == first
    assert claims(first)["oid"] == adele
    assert len(token_requests(emulator, OBO)) == 1

    with pytest.raises(ConsentRequired):
        await msal_tokens.user_token(alex, None, GRAPH_RESOURCE)

    alex_token = await msal_tokens.user_token(
        alex, emulator.control.mint_user_token(ALEX), GRAPH_RESOURCE
    )

    assert claims(alex_token)["oid"] == alex
    assert alex_token != first
    assert len(token_requests(emulator, OBO)) == 2


async def test_an_expiring_obo_token_is_renewed_silently_without_a_new_obo(
    emulator: RunningEmulator, msal_tokens: MsalTokenProvider
) -> None:
    emulator.control.set_token_lifetime(120)  # inside msal's five-minute refresh margin
    adele = oid_of(emulator, ADELE)
    first = await msal_tokens.user_token(
        adele, emulator.control.mint_user_token(ADELE), GRAPH_RESOURCE
    )

    renewed = await msal_tokens.user_token(adele, None, GRAPH_RESOURCE)

    assert renewed != first
    assert claims(renewed)["oid"] == adele
    assert len(token_requests(emulator, OBO)) == 1
    assert len(token_requests(emulator, "refresh_token")) == 1


async def test_graph_sees_each_users_own_token_on_me_calls(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    adele, alex = oid_of(emulator, ADELE), oid_of(emulator, ALEX)
    as_adele = AsUser(adele, emulator.control.mint_user_token(ADELE))
    as_alex = AsUser(alex, emulator.control.mint_user_token(ALEX))

    for caller in (as_adele, as_alex, as_adele, as_alex):
        await live_graph.get_user(caller, "me")

    graph_calls = [e for e in emulator.control.request_log() if e["path"] == "/v1.0/users/me"]
    assert [e["oid"] for e in graph_calls] == [adele, alex, adele, alex]
    assert len(token_requests(emulator, OBO)) == 2


async def test_an_sso_token_of_another_user_is_refused_and_not_handed_out(
    emulator: RunningEmulator, msal_tokens: MsalTokenProvider
) -> None:
    adele = oid_of(emulator, ADELE)
    alex_sso = emulator.control.mint_user_token(ALEX)

    with pytest.raises(TokenAcquisitionError) as caught:
        await msal_tokens.user_token(adele, alex_sso, GRAPH_RESOURCE)
    assert caught.value.error == "user_mismatch"

    with pytest.raises(ConsentRequired):
        await msal_tokens.user_token(adele, None, GRAPH_RESOURCE)


async def test_a_bad_sso_token_asks_the_user_to_sign_in_again(
    emulator: RunningEmulator, msal_tokens: MsalTokenProvider
) -> None:
    with pytest.raises(ConsentRequired) as caught:
        await msal_tokens.user_token(oid_of(emulator, ADELE), "not-a-jwt", GRAPH_RESOURCE)

    assert caught.value.error == "invalid_grant"
    assert "AADSTS50013" in caught.value.description


async def test_a_wrong_secret_gives_the_aadsts_error_and_logs_nothing_secret(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_secret = "wr0ng-Secret~value-4711"
    provider = MsalTokenProvider(
        emulator.base_url,
        emulator.tenant_id,
        emulator.bot_app.client_id,
        wrong_secret,
        emulator.ca_path,
        timeouts=LIVE_TIMEOUTS,
    )
    try:
        with pytest.raises(TokenAcquisitionError) as caught:
            await provider.app_token(GRAPH_RESOURCE)
    finally:
        provider.close()

    error = caught.value
    assert not isinstance(error, ConsentRequired)
    assert error.error == "invalid_client"
    assert error.description.startswith("AADSTS7000215:")
    assert error.correlation_id
    assert "invalid_client" in caplog.text
    for text in (caplog.text, str(error), repr(error), repr(provider)):
        assert wrong_secret not in text
        assert emulator.bot_app.secret not in text


async def test_the_user_assertion_and_tokens_stay_out_of_the_logs(
    emulator: RunningEmulator,
    msal_tokens: MsalTokenProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    sso = emulator.control.mint_user_token(ADELE)

    token = await msal_tokens.user_token(oid_of(emulator, ADELE), sso, GRAPH_RESOURCE)
    app_token = await msal_tokens.app_token(GRAPH_RESOURCE)

    for secret in (sso, token, app_token, emulator.bot_app.secret):
        assert secret not in caplog.text


async def test_an_unreachable_authority_is_a_token_error(emulator: RunningEmulator) -> None:
    provider = MsalTokenProvider(
        "https://127.0.0.1:9",
        emulator.tenant_id,
        emulator.bot_app.client_id,
        emulator.bot_app.secret,
        emulator.ca_path,
        timeouts=LIVE_TIMEOUTS,
    )
    try:
        with pytest.raises(TokenAcquisitionError) as caught:
            await provider.app_token(GRAPH_RESOURCE)
    finally:
        provider.close()

    assert caught.value.error == "authority_unreachable"


def test_the_authority_must_be_https() -> None:
    with pytest.raises(ValueError, match="https"):
        MsalTokenProvider("http://127.0.0.1", "t", "c", "s", None)


async def test_user_tokens_of_many_users_fetch_the_openid_metadata_once(
    emulator: RunningEmulator, msal_tokens: MsalTokenProvider
) -> None:
    """Each user's cache gets its own short-lived msal application; the metadata they need
    comes from one shared cache, not from Entra once per request."""
    await msal_tokens.app_token(GRAPH_RESOURCE)
    for upn in (ADELE, ALEX, ADELE):
        sso = emulator.control.mint_user_token(upn)
        await msal_tokens.user_token(oid_of(emulator, upn), sso, GRAPH_RESOURCE)
    await msal_tokens.user_token(oid_of(emulator, ALEX), None, GRAPH_RESOURCE)

    metadata = [e for e in emulator.control.request_log() if "openid-configuration" in e["path"]]
    assert len(metadata) == 1


async def test_forget_user_drops_only_that_users_tokens(
    emulator: RunningEmulator, msal_tokens: MsalTokenProvider
) -> None:
    adele, alex = oid_of(emulator, ADELE), oid_of(emulator, ALEX)
    for oid, upn in ((adele, ADELE), (alex, ALEX)):
        await msal_tokens.user_token(oid, emulator.control.mint_user_token(upn), GRAPH_RESOURCE)

    await msal_tokens.forget_user(adele)

    with pytest.raises(ConsentRequired):
        await msal_tokens.user_token(adele, None, GRAPH_RESOURCE)
    assert claims(await msal_tokens.user_token(alex, None, GRAPH_RESOURCE))["oid"] == alex
