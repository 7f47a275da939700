"""Bot Connector stand-in: receives what the bot says (``/v3/conversations/...``).

* ``POST /v3/conversations`` creates a conversation (proactive messages) → ``{"id", ...}``;
* ``POST /v3/conversations/{id}/activities[/{replyToId}]`` stores an activity → ``{"id"}``;
* ``PUT /v3/conversations/{id}/activities/{activityId}`` replaces it; the replaced versions are
  kept in the record's ``updates``;
* ``DELETE`` of an activity marks it deleted;
* ``GET /v3/conversations/{id}/members[/{memberId}]`` answers with tenant users.

A bearer token, when sent, must be an app token this emulator issued for
``https://api.botframework.com``; with ``auth_required`` set (control API) it must be sent.
Teams' rate limits apply to every call (``emulator/connector_limits.py``): past one, 429
with ``Retry-After``.

The other direction: ``channel_token`` is what the channel service puts in the
``Authorization`` header of every activity it posts to a bot ("Authenticate requests with
the Bot Connector API", Connector to Bot; the same for SingleTenant, MultiTenant and
UserAssignedMSI bots): ``iss = https://api.botframework.com``, ``aud`` = the bot's app id,
``serviceurl`` = the activity's ``serviceUrl``, ``nbf``, ``exp`` — no ``tid``, no ``appid`` or
``azp``, nothing that names a tenant or a calling app. Real ones are signed with a key from
login.botframework.com's JWKS; this one with the emulator's key, which a test's signing-key
seam serves for that URL (docs/decisions/0002-jwt-test-seam.md).
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from emulator.appkeys import CTX, STATE
from emulator.seed import Account
from emulator.state import EmulatorState
from emulator.tokens import BOT_FRAMEWORK_RESOURCE, TokenRejected

Json = dict[str, Any]

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def channel_token(state: EmulatorState, audience: str, service_url: str) -> str:
    now = state.tokens.now()
    return state.tokens.sign(
        {
            "serviceurl": service_url,
            "nbf": now,
            "exp": now + state.tokens.lifetime,
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": audience,
        }
    )


def _check_auth(state: EmulatorState, request: web.Request) -> web.Response | None:
    header = request.headers.get("Authorization")
    if not header:
        if state.connector.auth_required:
            return _error(401, "Unauthorized", "Authorization has been denied for this request.")
        return None
    if not header.lower().startswith("bearer "):
        return _error(401, "Unauthorized", "Authorization has been denied for this request.")
    try:
        principal = state.tokens.principal(header[7:].strip(), [BOT_FRAMEWORK_RESOURCE])
    except TokenRejected as exc:
        return _error(401, "Unauthorized", f"Authorization has been denied. {exc.reason}")
    ctx = request[CTX]
    ctx.app_id = principal.app_id
    ctx.subject = principal.subject
    return None


def _throttled(
    state: EmulatorState, request: web.Request, thread: str, scenario: str
) -> web.Response | None:
    """The 429 Teams answers when the call is over a rate limit, else None (counted)."""
    app_id = request[CTX].app_id or "anonymous"
    retry_after = state.connector.limiter.admit(app_id, state.tenant.id, thread, scenario)
    if retry_after is None:
        return None
    return web.json_response(
        {"error": {"code": "TooManyRequests", "message": "Too many requests."}},
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


async def _authorized_body(
    state: EmulatorState, request: web.Request, thread: str, scenario: str = "send"
) -> Json | web.Response:
    """The checked bearer token, the rate limits, then the JSON body; or the error answer."""
    denied = _check_auth(state, request) or _throttled(state, request, thread, scenario)
    if denied is not None:
        return denied
    return await _body(request)


async def _body(request: web.Request) -> Json | web.Response:
    try:
        payload = await request.json()
    except ValueError:
        return _error(400, "BadSyntax", "The activity is not JSON.")
    if not isinstance(payload, dict):
        return _error(400, "BadSyntax", "The activity must be a JSON object.")
    return payload


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _personal_member(state: EmulatorState, payload: Json) -> Account | web.Response | None:
    """The one user of a 1:1 ``createConversation`` (None: not a 1:1 request).

    "For a user to receive proactive messages, install the app for the user or make the user
    a part of a team in which the app is installed"; the conversation is created with the
    ``tenantId`` and the user (learn.microsoft.com/microsoftteams/platform/bots/how-to/
    conversations/send-proactive-messages). What Teams answers for a user without the app is
    not documented; the stricter reading is the 403 ``BotNotInConversationRoster`` of a
    proactive message to such a user. Teams takes no email or UPN; the member is named by
    its Entra object id (``aadObjectId``) or its Teams id (``29:…``)."""
    members = payload.get("members")
    if payload.get("isGroup") or not isinstance(members, list) or len(members) != 1:
        return None
    member = members[0] if isinstance(members[0], dict) else {}
    tenant = payload.get("tenantId") or (payload.get("channelData") or {}).get("tenant", {}).get(
        "id"
    )
    if not isinstance(tenant, str) or tenant.lower() != state.tenant.id.lower():
        return _error(400, "BadArgument", "tenantId is required for a conversation in Teams.")
    key = str(member.get("aadObjectId") or member.get("id") or "").removeprefix("29:")
    account = state.tenant.account(key) if key else None
    if account is None or account.kind != "member":
        return _error(404, "MemberNotFoundInConversation", "The member was not found.")
    if account.id not in state.teams_apps.installed:
        return _error(
            403, "BotNotInConversationRoster", "The bot is not part of the conversation roster."
        )
    return account


async def create_conversation(request: web.Request) -> web.Response:
    state = request.app[STATE]
    denied = _check_auth(state, request)
    if denied is not None:
        return denied
    payload = await _body(request)
    if isinstance(payload, web.Response):
        return payload
    # A new 1:1 chat's thread is the bot and the member it is created with.
    throttled = _throttled(state, request, f"create:{_first_member(payload)}", "create")
    if throttled is not None:
        return throttled
    member = _personal_member(state, payload)
    if isinstance(member, web.Response):
        return member
    conversation_id = f"a:{uuid.uuid4().hex}"
    if member is not None:  # one personal chat per user and bot: asked again, the same one
        conversation_id = f"a:personal-{member.id}"
    state.connector.conversations[conversation_id] = {"id": conversation_id, "params": payload}
    answer: Json = {"id": conversation_id, "serviceUrl": state.base_url + "/"}
    activity = payload.get("activity")
    if isinstance(activity, dict):
        answer["activityId"] = _store(state, conversation_id, activity, None)["id"]
    return web.json_response(answer, status=201)


def _first_member(params: Json) -> str:
    members = params.get("members")
    if isinstance(members, list) and members and isinstance(members[0], dict):
        return str(members[0].get("id", ""))
    return ""


def _store(
    state: EmulatorState, conversation_id: str, activity: Json, reply_to: str | None
) -> Json:
    activity_id = state.connector.new_id()
    stored = copy.deepcopy(activity)
    stored["id"] = activity_id
    stored.setdefault("conversation", {})["id"] = conversation_id
    if reply_to is not None:
        stored["replyToId"] = reply_to
    record: Json = {
        "id": activity_id,
        "conversation_id": conversation_id,
        "reply_to_id": reply_to,
        "time": _now(),
        "activity": stored,
        "updates": [],
        "deleted": False,
    }
    state.connector.activities.append(record)
    return record


async def send_activity(request: web.Request) -> web.Response:
    state = request.app[STATE]
    payload = await _authorized_body(state, request, request.match_info["conversation"])
    if isinstance(payload, web.Response):
        return payload
    reply_to = request.match_info.get("activity")
    record = _store(state, request.match_info["conversation"], payload, reply_to)
    return web.json_response({"id": record["id"]}, status=200)


def _find(state: EmulatorState, conversation_id: str, activity_id: str) -> Json | None:
    for record in state.connector.activities:
        if record["id"] == activity_id and record["conversation_id"] == conversation_id:
            return record
    return None


async def update_activity(request: web.Request) -> web.Response:
    state = request.app[STATE]
    conversation_id = request.match_info["conversation"]
    payload = await _authorized_body(state, request, conversation_id)
    if isinstance(payload, web.Response):
        return payload
    activity_id = request.match_info["activity"]
    record = _find(state, conversation_id, activity_id)
    if record is None:
        return _error(404, "ActivityNotFound", f"Activity {activity_id} was not found.")
    record["updates"].append({"time": _now(), "activity": record["activity"]})
    replaced = copy.deepcopy(payload)
    replaced["id"] = activity_id
    replaced.setdefault("conversation", {})["id"] = conversation_id
    if record["reply_to_id"] is not None:
        replaced.setdefault("replyToId", record["reply_to_id"])
    record["activity"] = replaced
    return web.json_response({"id": activity_id})


async def delete_activity(request: web.Request) -> web.Response:
    state = request.app[STATE]
    conversation_id = request.match_info["conversation"]
    denied = _check_auth(state, request) or _throttled(state, request, conversation_id, "send")
    if denied is not None:
        return denied
    record = _find(state, request.match_info["conversation"], request.match_info["activity"])
    if record is None:
        return _error(404, "ActivityNotFound", "Activity was not found.")
    record["deleted"] = True
    return web.Response(status=200)


def _member(state: EmulatorState, account: Account) -> Json:
    return {
        "id": f"29:{account.id}",
        "name": account.display_name,
        "aadObjectId": account.id,
        "givenName": account.given_name,
        "surname": account.surname,
        "email": account.mail,
        "userPrincipalName": account.upn,
        "tenantId": state.tenant.id,
        "userRole": "user",
    }


async def get_members(request: web.Request) -> web.Response:
    state = request.app[STATE]
    conversation_id = request.match_info["conversation"]
    denied = _check_auth(state, request) or _throttled(state, request, conversation_id, "members")
    if denied is not None:
        return denied
    people = [a for a in state.tenant.accounts if a.kind == "member"]
    member_id = request.match_info.get("member")
    if member_id is None:
        return web.json_response([_member(state, a) for a in people])
    key = member_id.removeprefix("29:")
    account = state.tenant.account(key)
    if account is None or account.kind != "member":
        return _error(404, "MemberNotFoundInConversation", "The member was not found.")
    return web.json_response(_member(state, account))


def activities(state: EmulatorState, conversation_id: str | None) -> list[Json]:
    return [
        copy.deepcopy(r)
        for r in state.connector.activities
        if conversation_id is None or r["conversation_id"] == conversation_id
    ]


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v3/conversations", create_conversation)
    app.router.add_post("/v3/conversations/{conversation}/activities", send_activity)
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", send_activity)
    app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", update_activity)
    app.router.add_delete("/v3/conversations/{conversation}/activities/{activity}", delete_activity)
    app.router.add_get("/v3/conversations/{conversation}/members", get_members)
    app.router.add_get("/v3/conversations/{conversation}/members/{member}", get_members)
