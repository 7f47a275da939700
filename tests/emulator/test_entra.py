"""Entra ID stand-in: metadata, keys, client credentials, on-behalf-of, AADSTS errors."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from emu_helpers import BOTFRAMEWORK, EXCHANGE, GRAPH, REPORTING_APP, REPORTING_SECRET, Tokens
from jwt import PyJWKClient

from emulator.testing import RunningEmulator

AAD_ERROR_FIELDS = {
    "error",
    "error_description",
    "error_codes",
    "timestamp",
    "trace_id",
    "correlation_id",
}


def _verify(emu: RunningEmulator, https: httpx.Client, token: str, audience: str) -> dict:
    keys = https.get(f"/{emu.tenant_id}/discovery/v2.0/keys").json()["keys"]
    header = jwt.get_unverified_header(token)
    (jwk,) = [k for k in keys if k["kid"] == header["kid"]]
    key = jwt.PyJWK(jwk).key
    return jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=audience,
        issuer=f"https://login.microsoftonline.com/{emu.tenant_id}/v2.0",
    )


def test_openid_configuration_advertises_https_endpoints_on_this_host(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    config = https.get(f"/{emulator.tenant_id}/v2.0/.well-known/openid-configuration").json()

    # The issuer is Entra's name for the tenant, not the host that was asked.
    assert config["issuer"] == f"https://login.microsoftonline.com/{emulator.tenant_id}/v2.0"
    assert config["token_endpoint"] == f"{emulator.authority}/oauth2/v2.0/token"
    assert config["jwks_uri"] == f"{emulator.authority}/discovery/v2.0/keys"
    assert config["authorization_endpoint"].startswith(emulator.base_url)


def test_tenant_domain_works_like_the_tenant_id(https: httpx.Client) -> None:
    answer = https.get("/contoso.com/v2.0/.well-known/openid-configuration")

    assert answer.status_code == 200


def test_unknown_tenant_is_aadsts90002(https: httpx.Client) -> None:
    answer = https.get("/fabrikam.com/v2.0/.well-known/openid-configuration")

    assert answer.status_code == 400
    assert answer.json()["error_codes"] == [90002]


def test_jwks_lists_an_rs256_signing_key(emulator: RunningEmulator, https: httpx.Client) -> None:
    (key,) = https.get(f"/{emulator.tenant_id}/discovery/v2.0/keys").json()["keys"]

    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["kid"]


@pytest.mark.parametrize(
    ("resource", "roles"),
    [
        (
            GRAPH,
            [
                "GroupMember.Read.All",
                "TeamsAppInstallation.ReadWriteSelfForUser.All",
                "User.Read.All",
            ],
        ),
        (EXCHANGE, ["Exchange.ManageAsApp", "Exchange.ManageAsAppV2"]),
        (BOTFRAMEWORK, None),
    ],
)
def test_client_credentials_token_is_signed_for_the_resource_with_the_apps_roles(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens, resource: str, roles: list
) -> None:
    answer = tokens.request(
        grant_type="client_credentials",
        client_id=emulator.bot_app.client_id,
        client_secret=emulator.bot_app.secret,
        scope=f"{resource}/.default",
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    claims = _verify(emulator, https, body["access_token"], resource)
    assert claims["tid"] == emulator.tenant_id
    assert claims["appid"] == claims["azp"] == emulator.bot_app.client_id
    assert claims.get("roles") == roles
    assert claims["nbf"] <= time.time() < claims["exp"]


def test_wrong_secret_is_401_invalid_client_aadsts7000215(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    answer = tokens.request(
        grant_type="client_credentials",
        client_id=emulator.bot_app.client_id,
        client_secret="not-the-secret",
        scope=f"{GRAPH}/.default",
    )

    assert answer.status_code == 401
    body = answer.json()
    assert set(body) >= AAD_ERROR_FIELDS
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215:")
    assert "not-the-secret" not in answer.text


def test_correlation_id_echoes_client_request_id(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    answer = https.post(
        f"/{emulator.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator.bot_app.client_id,
            "client_secret": "x",
            "scope": f"{GRAPH}/.default",
        },
        headers={"client-request-id": "1b2c3d4e-0000-4000-8000-000000000001"},
    )

    assert answer.json()["correlation_id"] == "1b2c3d4e-0000-4000-8000-000000000001"
    assert answer.headers["client-request-id"] == "1b2c3d4e-0000-4000-8000-000000000001"


def test_unknown_client_is_aadsts700016(tokens: Tokens) -> None:
    answer = tokens.request(
        grant_type="client_credentials",
        client_id="11111111-2222-3333-4444-555555555555",
        client_secret="x",
        scope=f"{GRAPH}/.default",
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "unauthorized_client"
    assert answer.json()["error_codes"] == [700016]


def test_client_credentials_needs_a_default_scope(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    answer = tokens.request(
        grant_type="client_credentials",
        client_id=emulator.bot_app.client_id,
        client_secret=emulator.bot_app.secret,
        scope=f"{GRAPH}/Mail.Send",
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_scope"
    assert answer.json()["error_codes"] == [1002012]


def test_unknown_resource_is_aadsts500011(emulator: RunningEmulator, tokens: Tokens) -> None:
    answer = tokens.request(
        grant_type="client_credentials",
        client_id=emulator.bot_app.client_id,
        client_secret=emulator.bot_app.secret,
        scope="https://vault.azure.net/.default",
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_resource"


def test_unsupported_grant_type(emulator: RunningEmulator, tokens: Tokens) -> None:
    answer = tokens.request(
        grant_type="password",
        client_id=emulator.bot_app.client_id,
        client_secret=emulator.bot_app.secret,
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_teams_sso_token_is_for_the_bot_app(emulator: RunningEmulator, https: httpx.Client) -> None:
    token = emulator.control.mint_user_token("adele.vance@contoso.com")

    claims = _verify(emulator, https, token, emulator.bot_app.client_id)
    assert claims["oid"] == "0862d2f8-2a75-481c-9d98-1ef98ae00e42"
    assert claims["upn"] == "adele.vance@contoso.com"
    assert claims["scp"] == "access_as_user"


def test_on_behalf_of_gives_a_delegated_graph_token(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    sso = emulator.control.mint_user_token("lynne.robbins@contoso.com")

    answer = tokens.obo(sso, f"{GRAPH}/.default openid profile offline_access")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    claims = _verify(emulator, https, body["access_token"], GRAPH)
    assert set(claims["scp"].split()) == {
        "Mail.Send",
        "Mail.Send.Shared",
        "Mail.ReadWrite",
        "Mail.ReadWrite.Shared",
        "User.Read",
    }
    assert claims["oid"] == "486c7190-c317-4729-9d12-d36309dc77cb"
    assert claims["upn"] == "lynne.robbins@contoso.com"
    assert claims["tid"] == emulator.tenant_id
    assert claims["azp"] == emulator.bot_app.client_id
    assert body["refresh_token"]
    assert body["id_token"]


def test_on_behalf_of_with_named_scopes_grants_only_those(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    sso = emulator.control.mint_user_token("adele.vance@contoso.com")

    answer = tokens.obo(sso, f"{GRAPH}/Mail.Send")

    claims = _verify(emulator, https, answer.json()["access_token"], GRAPH)
    assert claims["scp"] == "Mail.Send"


def test_on_behalf_of_a_scope_never_consented_is_consent_required(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    sso = emulator.control.mint_user_token("adele.vance@contoso.com")

    answer = tokens.obo(sso, f"{GRAPH}/Mail.Read")

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert answer.json()["error_codes"] == [65001]
    assert answer.json()["suberror"] == "consent_required"


def test_on_behalf_of_rejects_a_token_for_another_audience(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    sso = emulator.control.mint_user_token("adele.vance@contoso.com", audience=REPORTING_APP)

    answer = tokens.obo(sso)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_on_behalf_of_refuses_a_graph_token_as_assertion_with_aadsts50013(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    """What a token service connection with Graph scopes would hand the bot: a user's Graph
    token. Entra wants an assertion for the app making the request (v2-oauth2-on-behalf-of-flow)."""
    graph_token = tokens.user("adele.vance@contoso.com")

    answer = tokens.obo(graph_token)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert answer.json()["error_codes"] == [50013]


def test_on_behalf_of_accepts_the_oauth_connections_token(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    connection = emulator.control.mint_user_token("adele.vance@contoso.com", connection=True)

    assert tokens.obo(connection).status_code == 200


def test_on_behalf_of_rejects_an_app_token(emulator: RunningEmulator, tokens: Tokens) -> None:
    answer = tokens.obo(tokens.app(resource=emulator.bot_app.client_id))

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_on_behalf_of_rejects_a_forged_assertion(emulator: RunningEmulator, tokens: Tokens) -> None:
    sso = emulator.control.mint_user_token("adele.vance@contoso.com")
    head, body, signature = sso.split(".")
    forged = f"{head}.{body}.{signature[::-1]}"

    answer = tokens.obo(forged)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_refresh_token_gives_a_new_access_token(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    sso = emulator.control.mint_user_token("diego.siciliani@contoso.com")
    first = tokens.obo(sso, f"{GRAPH}/.default offline_access").json()

    answer = tokens.request(
        grant_type="refresh_token",
        client_id=emulator.bot_app.client_id,
        client_secret=emulator.bot_app.secret,
        refresh_token=first["refresh_token"],
        scope=f"{GRAPH}/.default",
    )

    assert answer.status_code == 200, answer.text
    claims = _verify(emulator, https, answer.json()["access_token"], GRAPH)
    assert claims["upn"] == "diego.siciliani@contoso.com"


def test_another_app_with_its_own_secret_gets_only_its_roles(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.app(client_id=REPORTING_APP, secret=REPORTING_SECRET)

    claims = _verify(emulator, https, token, GRAPH)
    assert claims["roles"] == ["User.Read.All"]


def test_jwks_client_from_the_metadata_verifies_tokens(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    client = PyJWKClient(
        f"{emulator.authority}/discovery/v2.0/keys", ssl_context=emulator.ssl_context()
    )
    token = tokens.app()

    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=GRAPH)
    assert claims["appid"] == emulator.bot_app.client_id


def _token_of_reporting_for_the_bot(emulator: RunningEmulator, tokens: Tokens) -> dict:
    answer = tokens.request(
        grant_type="client_credentials",
        client_id=REPORTING_APP,
        client_secret=REPORTING_SECRET,
        scope=f"{emulator.bot_app.client_id}/.default",
    )
    assert answer.status_code == 200, answer.text
    return jwt.decode(answer.json()["access_token"], options={"verify_signature": False})


def test_any_app_of_the_tenant_gets_a_v1_token_for_the_bots_app_id(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    claims = _token_of_reporting_for_the_bot(emulator, tokens)

    assert claims["aud"] == emulator.bot_app.client_id
    assert claims["iss"] == f"https://sts.windows.net/{emulator.tenant_id}/"
    assert claims["ver"] == "1.0"
    assert claims["appid"] == REPORTING_APP
    assert "azp" not in claims
    assert claims["tid"] == emulator.tenant_id
    assert claims["idtyp"] == "app"
    assert "roles" not in claims


def test_an_app_that_accepts_v2_tokens_gets_them_with_azp(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    emulator.control.set_token_version(emulator.bot_app.client_id, "2.0")

    claims = _token_of_reporting_for_the_bot(emulator, tokens)

    assert claims["iss"] == f"https://login.microsoftonline.com/{emulator.tenant_id}/v2.0"
    assert claims["ver"] == "2.0"
    assert claims["azp"] == REPORTING_APP
    assert "appid" not in claims
    assert claims["aud"] == emulator.bot_app.client_id


def test_reset_returns_apps_to_v1_tokens(emulator: RunningEmulator, tokens: Tokens) -> None:
    emulator.control.set_token_version(emulator.bot_app.client_id, "2.0")
    emulator.control.reset()

    assert _token_of_reporting_for_the_bot(emulator, tokens)["ver"] == "1.0"
