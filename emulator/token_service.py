"""The Bot Framework token service (``https://api.botframework.com``, "Bot Framework Token
API v3.1") for the Azure Bot's OAuth connection, as a bot calls it.

* ``GET /api/usertoken/GetToken?userId&connectionName&channelId[&code]`` → 200
  ``TokenResponse`` (``channelId``, ``connectionName``, ``token``, ``expiration``) or 404 when
  the user has no (unexpired) token. With ``code`` (the magic code the sign-in page showed,
  which Teams puts in an action's ``state``) the pending sign-in is redeemed: once, by the same
  user, within ``MAGIC_CODE_LIFETIME``; any other code is a 404.
* ``POST /api/usertoken/exchange?userId&connectionName&channelId`` body ``{"uri", "token"}``:
  the Teams SSO token for the connection's Token Exchange URL (``api://botid-{app id}``, or
  the app's client id in a v2 token; scp
  ``access_as_user``, the same user) → the connection's token (emulator/sso.py
  ``connection_token``). Anything else is a 400 with the token service's error envelope; the
  bot then answers Teams 412 so that it falls back to the sign-in button.
* ``DELETE /api/usertoken/SignOut?userId[&connectionName]&channelId``: forget the user's tokens.
* ``GET /api/botsignin/GetSignInResource?state=`` → ``signInLink`` + ``tokenExchangeResource``.

Every call needs the bot's app token for ``https://api.botframework.com`` (401 otherwise). A
stored token is handed out until its ``exp``; after that the user must sign in again (the real
service may refresh silently; the stricter reading is taken).

Sources: learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication
and the Token API swagger (github.com/microsoft/botbuilder-js, libraries/botframework-connector/
src/tokenApi); learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/
universal-actions-for-adaptive-cards/authentication-flow-in-universal-action-for-adaptive-cards
(magic code in ``state``) and sso-adaptive-cards-universal-action (exchange, 412). **Not
confirmed:** the magic code's lifetime and the exchange's exact error status; the emulator uses
5 minutes and 400.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from emulator import sso
from emulator.appkeys import CTX, STATE
from emulator.seed import Account
from emulator.state import EmulatorState
from emulator.token_store import PendingSignIn, StoredToken, TokenServiceStore
from emulator.tokens import BOT_FRAMEWORK_RESOURCE, TokenRejected, unverified_claims

MAGIC_CODE_LIFETIME = 300

Json = dict[str, Any]


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _store(state: EmulatorState) -> TokenServiceStore:
    return state.token_service


def _answer(error: ServiceError) -> web.Response:
    body = {"error": {"code": error.code, "message": error.message}}
    return web.json_response(body, status=error.status)


def _check_bot(state: EmulatorState, request: web.Request) -> None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        raise ServiceError(401, "Unauthorized", "Authorization has been denied for this request.")
    try:
        principal = state.tokens.principal(header[7:].strip(), [BOT_FRAMEWORK_RESOURCE])
    except TokenRejected as exc:
        raise ServiceError(401, "Unauthorized", f"Authorization denied. {exc.reason}") from exc
    request[CTX].app_id = principal.app_id
    if principal.app_id != state.tenant.bot_app.client_id or not principal.is_app_only:
        raise ServiceError(401, "Unauthorized", "The token is not the bot's app token.")


def _params(state: EmulatorState, request: web.Request) -> tuple[str, str, Account]:
    """(Teams user id, connection name, the user) of the query, checked."""
    user_id = request.query.get("userId", "")
    connection = request.query.get("connectionName", "")
    if not user_id:
        raise ServiceError(400, "BadArgument", "userId is required.")
    if connection not in _store(state).connections:
        raise ServiceError(
            400, "BadArgument", f"The connection {connection!r} is not configured for the bot."
        )
    account = state.tenant.account(user_id.removeprefix("29:"))
    if account is None or account.kind != "member":
        raise ServiceError(404, "NotFound", "The user is not known to the channel.")
    request[CTX].subject = account.upn
    return user_id, connection, account


def _token_response(connection: str, channel: str, stored: StoredToken) -> Json:
    expiration = datetime.fromtimestamp(stored.expires, UTC).isoformat().replace("+00:00", "Z")
    return {
        "channelId": channel,
        "connectionName": connection,
        "token": stored.token,
        "expiration": expiration,
    }


def _connection_token(state: EmulatorState, account: Account) -> StoredToken:
    try:
        token = sso.connection_token(state, account)
    except sso.SsoRefused as refused:
        raise ServiceError(
            400, "ServiceError", f"AADSTS{refused.code}: {refused.description}"
        ) from refused
    return StoredToken(token, int(unverified_claims(token)["exp"]))  # signed just now


async def _get_token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    _check_bot(state, request)
    user_id, connection, _account = _params(state, request)
    store = _store(state)
    now = state.tokens.now()
    code = request.query.get("code")
    if code:
        pending = store.codes.get(code)
        if pending is None or (pending.user_id, pending.connection) != (user_id, connection):
            raise ServiceError(404, "NotFound", "The magic code is not valid.")
        del store.codes[code]
        if pending.expires < now:
            raise ServiceError(404, "NotFound", "The magic code has expired.")
        expires = int(unverified_claims(pending.token)["exp"])
        store.tokens[(user_id, connection)] = StoredToken(pending.token, expires)
    stored = store.tokens.get((user_id, connection))
    if stored is None or stored.expires <= now:
        store.tokens.pop((user_id, connection), None)
        raise ServiceError(404, "NotFound", "The user has no token for this connection.")
    return web.json_response(
        _token_response(connection, request.query.get("channelId", ""), stored)
    )


async def get_token(request: web.Request) -> web.Response:
    try:
        return await _get_token(request)
    except ServiceError as error:
        return _answer(error)


async def _exchange(request: web.Request) -> web.Response:
    state = request.app[STATE]
    _check_bot(state, request)
    user_id, connection, account = _params(state, request)
    try:
        body = await request.json()
    except ValueError:
        body = None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ServiceError(400, "BadArgument", "The exchange request carries no token.")
    app = state.tenant.bot_app
    exchange_url = f"api://botid-{app.client_id}"
    try:
        # v2 tokens name the app by its client id, v1 ones by the Application ID URI.
        claims = state.tokens.decode(token, [app.client_id, exchange_url])
    except TokenRejected as exc:
        raise ServiceError(
            400, "ServiceError", f"The token can't be exchanged: {exc.reason}"
        ) from exc
    if sso.SSO_SCOPE not in str(claims.get("scp", "")).split():
        raise ServiceError(400, "ServiceError", "The token has no access_as_user scope.")
    if claims.get("oid") != account.id:
        raise ServiceError(400, "ServiceError", "The token belongs to another user.")
    stored = _connection_token(state, account)
    _store(state).tokens[(user_id, connection)] = stored
    return web.json_response(
        _token_response(connection, request.query.get("channelId", ""), stored)
    )


async def exchange(request: web.Request) -> web.Response:
    try:
        return await _exchange(request)
    except ServiceError as error:
        return _answer(error)


async def _sign_out(request: web.Request) -> web.Response:
    state = request.app[STATE]
    _check_bot(state, request)
    user_id = request.query.get("userId", "")
    if not user_id:
        raise ServiceError(400, "BadArgument", "userId is required.")
    connection = request.query.get("connectionName")
    store = _store(state)
    for key in [k for k in store.tokens if k[0] == user_id and connection in (None, k[1])]:
        del store.tokens[key]
    return web.Response(status=200)


async def sign_out(request: web.Request) -> web.Response:
    try:
        return await _sign_out(request)
    except ServiceError as error:
        return _answer(error)


def _decode_state(raw: str) -> Json:
    try:
        decoded = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ServiceError(400, "BadArgument", "The state is not valid.") from exc
    if not isinstance(decoded, dict):
        raise ServiceError(400, "BadArgument", "The state is not valid.")
    return decoded


async def _get_sign_in_resource(request: web.Request) -> web.Response:
    state = request.app[STATE]
    _check_bot(state, request)
    exchange_state = _decode_state(request.query.get("state", ""))
    if exchange_state.get("connectionName") not in _store(state).connections:
        raise ServiceError(400, "BadArgument", "The connection is not configured.")
    app = state.tenant.bot_app
    link = f"{state.base_url}/_emulator/tokenservice/signin?state={request.query['state']}"
    return web.json_response(
        {
            "signInLink": link,
            "tokenExchangeResource": {
                "id": str(uuid.uuid4()),
                "uri": f"api://botid-{app.client_id}",
            },
        }
    )


async def get_sign_in_resource(request: web.Request) -> web.Response:
    try:
        return await _get_sign_in_resource(request)
    except ServiceError as error:
        return _answer(error)


def complete_sign_in(state: EmulatorState, account: Account, connection: str) -> str:
    """The user finished the sign-in page: the magic code it shows (and Teams passes on)."""
    stored = _connection_token(state, account)
    code = f"{secrets.randbelow(1_000_000):06d}"
    state.token_service.codes[code] = PendingSignIn(
        f"29:{account.id}", connection, stored.token, state.tokens.now() + MAGIC_CODE_LIFETIME
    )
    return code


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/usertoken/GetToken", get_token)
    r.add_post("/api/usertoken/exchange", exchange)
    r.add_delete("/api/usertoken/SignOut", sign_out)
    r.add_get("/api/botsignin/GetSignInResource", get_sign_in_resource)
