"""Control and inspection endpoints under ``/_emulator`` (never logged, never faulted).

``GET  /_emulator/health``                 ``{"status": "ok"}``
``GET  /_emulator/tenant``                 tenant id, domain, users, mailboxes, groups, apps
``POST /_emulator/reset``                  back to the seed (mail, log, faults, throttle...)
``GET  /_emulator/mailboxes/{addr}/{f}``   messages of folder ``inbox|sentitems|drafts``
``PUT  /_emulator/mailboxes/{addr}/rights`` ``send_as``, ``full_access``, ``send_on_behalf``:
                                           replace the mailbox's trustees (users or groups)
``GET  /_emulator/external``               deliveries to addresses outside the tenant
``GET|DELETE /_emulator/log``              the request log
``GET|POST|DELETE /_emulator/faults``      list / add / clear faults
``GET|PUT /_emulator/throttle``            ``messages_per_minute``, ``concurrency_limit``,
                                           ``request_budget``, ``concurrency_retry_after``
``PUT  /_emulator/latency``                ``fixed_ms``, ``jitter_ms``, ``path_pattern``
``GET|PUT /_emulator/limits``              ``max_recipients``, ``max_message_bytes``,
                                           ``exchange_page_size``, ``recipients_per_day``
``PUT  /_emulator/tokens/lifetime``        ``seconds`` for tokens issued from now on
``POST /_emulator/tokens/user``            ``user`` (+ ``client``, ``connection`` or ``audience``)
                                           → ``{"token"}``: a Teams SSO token (emulator/sso.py)
``GET  /_emulator/connector/activities``   ``?conversation_id=``
``PUT  /_emulator/connector/auth``         ``required``: demand a bearer token on /v3
``GET|PUT /_emulator/connector/limits``  ``per_app_per_second``, ``enabled``
``POST /_emulator/connector/token``        ``audience``, ``service_url`` → ``{"token"}``: the
                                           channel's token for an activity to the bot
``PUT  /_emulator/apps/{id}/token-version`` ``version`` (``1.0``/``2.0``): the access token
                                           version the app accepts as a resource
=========================================  ==============================================
=======
======================================================  ===========================================
``GET  /_emulator/health``                              ``{"status": "ok"}``
``GET  /_emulator/tenant``                              tenant id, domain, users, mailboxes,
                                                        groups, apps
``POST /_emulator/reset``                               back to the seed (mail, log, faults,
                                                        throttle...)
``GET  /_emulator/mailboxes/{a}/{f}``                   messages of
                                                        ``inbox|sentitems|drafts|deleteditems``
``POST /_emulator/mailboxes/{a}/messages/{id}/delete``  a user deletes an item: into Deleted Items,
                                                        a new id (``hard``: gone)
``GET  /_emulator/external``                            deliveries to addresses outside the tenant
``GET|DELETE /_emulator/log``                           the request log
``GET|POST|DELETE /_emulator/faults``                   list / add / clear faults
``GET|PUT /_emulator/throttle``                         ``messages_per_minute``,
                                                        ``concurrency_limit``, ``request_budget``,
                                                        ``concurrency_retry_after``
``GET|PUT /_emulator/transport``                        ``move_delay``; GET: ``pending`` and the
                                                        ``record`` of accepted messages
                                                        (``?wait=S`` waits up to S s for nothing
                                                        pending)
``PUT  /_emulator/latency``                             ``fixed_ms``, ``jitter_ms``,
                                                        ``path_pattern``
``GET|PUT /_emulator/limits``                           ``max_recipients``, ``max_message_bytes``,
                                                        ``exchange_page_size``,
                                                        ``recipients_per_day``
``PUT  /_emulator/tokens/lifetime``                     ``seconds`` for tokens issued from now on
``POST /_emulator/tokens/user``                         ``user``, ``audience`` → ``{"token"}``: a
                                                        Teams SSO token
``POST /_emulator/users/{u}/revoke-sessions``          the user's refresh tokens stop working
                                                        (Entra's "Revoke sessions")
``POST /_emulator/tokenservice/signin``                 ``user`` (+ ``connection``): the user
                                                        finished the sign-in page → ``{"code"}``
                                                        (the magic code)
``GET|DELETE /_emulator/tokenservice/tokens``          the token service's stored tokens
                                                        (user id, connection, expiry; no
                                                        token); DELETE forgets them all
``GET  /_emulator/connector/activities``                ``?conversation_id=``
``PUT  /_emulator/connector/auth``                      ``required``: demand a bearer token on /v3
``GET|PUT /_emulator/connector/limits``                 ``per_app_per_second`` (30), ``enabled``:
                                                        Teams' rate limits (connector_limits.py)
``POST /_emulator/connector/token``                     ``audience``, ``service_url`` →
                                                        ``{"token"}``: the channel's token for an
                                                        activity to the bot
``PUT  /_emulator/apps/{id}/token-version``             ``version`` (``1.0``/``2.0``): the access
                                                        token version the app accepts as a resource
======================================================  ===========================================
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any

from aiohttp import web

from emulator import connector, sso, token_service
from emulator.appkeys import STATE
from emulator.faults import CONNECTION_FAULTS, FAULT_KINDS
from emulator.graph.mail import move_to_deleted_items
from emulator.state import FOLDERS, EmulatorState
from emulator.token_store import CONNECTION_NAME
from emulator.tokens import V1, V2

Json = dict[str, Any]


def _bad(message: str) -> web.Response:
    return web.json_response({"error": {"code": "BadRequest", "message": message}}, status=400)


async def _json(request: web.Request) -> Json:
    if not request.can_read_body:
        return {}
    payload = await request.json()
    if not isinstance(payload, dict):
        raise web.HTTPBadRequest(text="a JSON object is expected")
    return payload


def _state(request: web.Request) -> EmulatorState:
    return request.app[STATE]


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "tenant_id": _state(request).tenant.id})


async def tenant(request: web.Request) -> web.Response:
    t = _state(request).tenant
    return web.json_response(
        {
            "tenant_id": t.id,
            "domain": t.domain,
            "display_name": t.display_name,
            "accounts": [
                {
                    "id": a.id,
                    "upn": a.upn,
                    "display_name": a.display_name,
                    "kind": a.kind,
                    "has_mailbox": a.has_mailbox,
                }
                for a in t.accounts
            ],
            "groups": [
                {"id": g.id, "display_name": g.display_name, "mail_nickname": g.mail_nickname}
                for g in t.groups
            ],
            "apps": [
                {"client_id": a.client_id, "display_name": a.display_name, "bot": a.is_bot}
                for a in t.apps
            ],
        }
    )


async def group_members(request: web.Request) -> web.Response:
    state = _state(request)
    payload = await request.json()
    users = payload.get("users") if isinstance(payload, dict) else None
    if not isinstance(users, list):
        return web.json_response({"error": "users must be a list of UPNs or ids"}, status=400)
    ids = []
    for user in users:
        account = state.tenant.account(str(user))
        if account is None:
            return web.json_response({"error": f"no user {user}"}, status=400)
        ids.append(account.id)
    if not state.set_group_members(request.match_info["group"], tuple(ids)):
        return web.json_response({"error": "no such group"}, status=404)
    return web.json_response({"status": "ok", "members": ids})


_RIGHTS = ("send_as", "full_access", "send_on_behalf")


async def mailbox_rights(request: web.Request) -> web.Response:
    """Replace some of a mailbox's trustee lists (UPNs, addresses, object ids or group
    names/addresses), e.g. to take Send As away while a request waits for approval."""
    state = _state(request)
    payload = await _json(request)
    unknown = set(payload) - set(_RIGHTS)
    if unknown:
        return _bad(f"unknown right(s): {', '.join(sorted(unknown))}")
    box = state.tenant.account(request.match_info["address"])
    if box is None or not box.has_mailbox:
        return web.json_response({"error": "no such mailbox"}, status=404)
    changes: dict[str, tuple[str, ...]] = {}
    for right, refs in payload.items():
        if not isinstance(refs, list):
            return _bad(f"{right} must be a list")
        ids = []
        for ref in refs:
            found = state.tenant.account(str(ref)) or state.tenant.recipient_group(str(ref))
            if found is None:
                return _bad(f"{right}: no user, mailbox or mail-enabled group {ref!r}")
            ids.append(found.id)
        changes[right] = tuple(ids)
    state.set_mailbox_rights(
        box.id,
        send_as=changes.get("send_as"),
        full_access=changes.get("full_access"),
        send_on_behalf=changes.get("send_on_behalf"),
    )
    return web.json_response({"status": "ok", **{k: list(v) for k, v in changes.items()}})


async def reset(request: web.Request) -> web.Response:
    _state(request).reset()
    return web.json_response({"status": "reset"})


async def mailbox(request: web.Request) -> web.Response:
    state = _state(request)
    account = state.tenant.account(request.match_info["address"])
    folder = request.match_info["folder"].lower()
    if account is None or not account.has_mailbox:
        return web.json_response(
            {"error": {"code": "NotFound", "message": "no such mailbox"}}, status=404
        )
    if folder not in FOLDERS:
        return _bad(f"folder must be one of {', '.join(FOLDERS)}")
    return web.json_response(copy.deepcopy(state.mail.folder(account.id, folder)))


async def delete_message(request: web.Request) -> web.Response:
    state = _state(request)
    account = state.tenant.account(request.match_info["address"])
    found = None if account is None else state.mail.find(account.id, request.match_info["id"])
    if account is None or found is None:
        return web.json_response(
            {"error": {"code": "NotFound", "message": "no such message"}}, status=404
        )
    folder, message = found
    if (await _json(request)).get("hard"):
        state.mail.remove(account.id, folder, message["id"])
    else:
        move_to_deleted_items(state, account, folder, message)
    return web.json_response({"status": "deleted"})


async def get_transport(request: web.Request) -> web.Response:
    transport = _state(request).transport
    wait = float(request.query.get("wait", "0") or 0)
    async with asyncio.timeout(max(wait, 0.0) + 1.0):
        remaining = wait
        while transport.pending and remaining > 0:
            await asyncio.sleep(0.02)
            remaining -= 0.02
    return web.json_response(
        {
            **asdict(transport.settings),
            "pending": transport.pending,
            "record": copy.deepcopy(transport.record),
        }
    )


async def put_transport(request: web.Request) -> web.Response:
    return await _update(request, _state(request).transport.settings, "transport", float)


async def external(request: web.Request) -> web.Response:
    return web.json_response(copy.deepcopy(_state(request).mail.external))


async def get_log(request: web.Request) -> web.Response:
    return web.json_response(_state(request).log.entries())


async def clear_log(request: web.Request) -> web.Response:
    _state(request).log.clear()
    return web.json_response({"status": "cleared"})


async def list_faults(request: web.Request) -> web.Response:
    return web.json_response(_state(request).faults.listing())


_FAULT_KEYS = {
    "method",
    "path_pattern",
    "kind",
    "count",
    "status",
    "code",
    "message",
    "delay",
    "retry_after",
}


async def add_fault(request: web.Request) -> web.Response:
    payload = await _json(request)
    unknown = set(payload) - _FAULT_KEYS
    if unknown:
        return _bad(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    kind = payload.get("kind")
    if kind not in FAULT_KINDS:
        return _bad(f"kind must be one of {', '.join(FAULT_KINDS)}")
    if not isinstance(payload.get("path_pattern"), str):
        return _bad("path_pattern is required")
    fault = _state(request).faults.add(
        method=str(payload.get("method", "*")),
        path_pattern=payload["path_pattern"],
        kind=kind,
        count=int(payload.get("count", 1)),
        status=payload.get("status"),
        code=payload.get("code"),
        message=payload.get("message"),
        delay=payload.get("delay"),
        retry_after=payload.get("retry_after"),
    )
    if fault.kind in CONNECTION_FAULTS:
        _state(request).close_other_connections(request.protocol)
    return web.json_response(fault.as_dict(), status=201)


async def clear_faults(request: web.Request) -> web.Response:
    _state(request).faults.clear()
    return web.json_response({"status": "cleared"})


async def get_throttle(request: web.Request) -> web.Response:
    return web.json_response(asdict(_state(request).throttle.settings))


async def put_throttle(request: web.Request) -> web.Response:
    return await _update(request, _state(request).throttle.settings, "throttle", lambda v: v)


async def put_latency(request: web.Request) -> web.Response:
    payload = await _json(request)
    state = _state(request)
    state.latency.set(
        float(payload.get("fixed_ms", 0)),
        float(payload.get("jitter_ms", 0)),
        payload.get("path_pattern"),
    )
    return web.json_response(state.latency.listing())


async def get_limits(request: web.Request) -> web.Response:
    return web.json_response(asdict(_state(request).limits))


async def put_limits(request: web.Request) -> web.Response:
    return await _update(request, _state(request).limits, "limit", int)


async def _update(
    request: web.Request, settings: Any, what: str, convert: Callable[[Any], Any]
) -> web.Response:
    """Set the dataclass ``settings``' fields the JSON body names; refuse unknown ones."""
    payload = await _json(request)
    unknown = set(payload) - {f.name for f in fields(settings)}
    if unknown:
        return _bad(f"unknown {what} field(s): {', '.join(sorted(unknown))}")
    for key, value in payload.items():
        setattr(settings, key, convert(value))
    return web.json_response(asdict(settings))


async def token_lifetime(request: web.Request) -> web.Response:
    payload = await _json(request)
    seconds = payload.get("seconds")
    if not isinstance(seconds, int) or seconds < 1:
        return _bad("seconds must be a positive integer")
    _state(request).tokens.lifetime = seconds
    return web.json_response({"seconds": seconds})


async def user_token(request: web.Request) -> web.Response:
    payload = await _json(request)
    state = _state(request)
    who = payload.get("user")
    account = state.tenant.account(str(who)) if who else None
    if account is None or account.kind != "member":
        return _bad(f"no such user: {who!r}")
    try:
        if payload.get("audience"):  # a raw token for any audience, for negative tests
            token = state.tokens.teams_sso_token(account, str(payload["audience"]))
        elif payload.get("connection"):
            token = sso.connection_token(state, account)
        elif payload.get("client"):
            token = sso.teams_token(state, account, str(payload["client"]))
        else:
            token = sso.teams_token(state, account)
    except sso.SsoRefused as refused:
        body = {"error": refused.error, "error_codes": [refused.code]}
        body["error_description"] = f"AADSTS{refused.code}: {refused.description}"
        if refused.suberror:
            body["suberror"] = refused.suberror
        return web.json_response(body, status=400)
    return web.json_response({"token": token, "oid": account.id, "upn": account.upn})


async def revoke_sessions(request: web.Request) -> web.Response:
    """What an admin's "Revoke sessions" does: every refresh token of the user stops working."""
    state = _state(request)
    account = state.tenant.account(request.match_info["user"])
    if account is None:
        return _bad(f"no such user: {request.match_info['user']!r}")
    generations = state.tokens.session_generations
    generations[account.id] = generations.get(account.id, 0) + 1
    return web.json_response({"user": account.id, "generation": generations[account.id]})


async def token_service_sign_in(request: web.Request) -> web.Response:
    payload = await _json(request)
    state = _state(request)
    who = payload.get("user")
    account = state.tenant.account(str(who)) if who else None
    if account is None or account.kind != "member":
        return _bad(f"no such user: {who!r}")
    connection = str(payload.get("connection") or CONNECTION_NAME)
    try:
        code = token_service.complete_sign_in(state, account, connection)
    except token_service.ServiceError as error:
        return web.json_response({"error": error.message}, status=error.status)
    return web.json_response({"code": code})


async def token_service_tokens(request: web.Request) -> web.Response:
    stored = _state(request).token_service.tokens
    return web.json_response(
        [{"user_id": u, "connection": c, "expires": t.expires} for (u, c), t in stored.items()]
    )


async def clear_token_service_tokens(request: web.Request) -> web.Response:
    _state(request).token_service.tokens.clear()
    return web.json_response({"cleared": True})


async def connector_activities(request: web.Request) -> web.Response:
    conversation_id = request.query.get("conversation_id")
    return web.json_response(connector.activities(_state(request), conversation_id))


async def get_connector_limits(request: web.Request) -> web.Response:
    return web.json_response(asdict(_state(request).connector.limiter.settings))


async def put_connector_limits(request: web.Request) -> web.Response:
    settings = _state(request).connector.limiter.settings
    return await _update(request, settings, "connector limit", lambda v: v)


async def connector_auth(request: web.Request) -> web.Response:
    payload = await _json(request)
    state = _state(request)
    state.connector.auth_required = bool(payload.get("required", False))
    return web.json_response({"required": state.connector.auth_required})


async def channel_token(request: web.Request) -> web.Response:
    payload = await _json(request)
    state = _state(request)
    audience = str(payload.get("audience") or state.tenant.bot_app.client_id)
    service_url = str(payload.get("service_url") or state.base_url + "/")
    return web.json_response({"token": connector.channel_token(state, audience, service_url)})


async def teams_apps(request: web.Request) -> web.Response:
    """Who has Mailroom installed in Teams, and whether the tenant's policy blocks it."""
    state = _state(request)
    apps = state.teams_apps
    if request.method == "PUT":
        payload = await _json(request)
        if "install_blocked" in payload:
            apps.install_blocked = bool(payload["install_blocked"])
        # An admin's app setup policy installs the app for people without any Graph call.
        for oid in payload.get("install_for") or []:
            apps.installed.add(str(oid))
    return web.json_response(
        {"catalog_id": apps.catalog_id, "installed": sorted(apps.installed),
         "install_blocked": apps.install_blocked}
    )  # fmt: skip


async def app_token_version(request: web.Request) -> web.Response:
    payload = await _json(request)
    state = _state(request)
    app = state.tenant.app(request.match_info["app"])
    version = payload.get("version")
    if app is None:
        return web.json_response({"error": "no such app"}, status=404)
    if version not in (V1, V2):
        return _bad(f"version must be {V1} or {V2}")
    state.tokens.accepted_versions[app.client_id.lower()] = version
    return web.json_response({"client_id": app.client_id, "version": version})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/_emulator/health", health)
    r.add_get("/_emulator/tenant", tenant)
    r.add_post("/_emulator/reset", reset)
    r.add_put("/_emulator/groups/{group}/members", group_members)
    r.add_get("/_emulator/mailboxes/{address}/{folder}", mailbox)
    r.add_post("/_emulator/mailboxes/{address}/messages/{id}/delete", delete_message)
    r.add_get("/_emulator/transport", get_transport)
    r.add_put("/_emulator/transport", put_transport)
    r.add_put("/_emulator/mailboxes/{address}/rights", mailbox_rights)
    r.add_get("/_emulator/external", external)
    r.add_get("/_emulator/log", get_log)
    r.add_delete("/_emulator/log", clear_log)
    r.add_get("/_emulator/faults", list_faults)
    r.add_post("/_emulator/faults", add_fault)
    r.add_delete("/_emulator/faults", clear_faults)
    r.add_get("/_emulator/throttle", get_throttle)
    r.add_put("/_emulator/throttle", put_throttle)
    r.add_put("/_emulator/latency", put_latency)
    r.add_get("/_emulator/limits", get_limits)
    r.add_put("/_emulator/limits", put_limits)
    r.add_put("/_emulator/tokens/lifetime", token_lifetime)
    r.add_post("/_emulator/tokens/user", user_token)
    r.add_post("/_emulator/users/{user}/revoke-sessions", revoke_sessions)
    r.add_post("/_emulator/tokenservice/signin", token_service_sign_in)
    r.add_get("/_emulator/tokenservice/tokens", token_service_tokens)
    r.add_delete("/_emulator/tokenservice/tokens", clear_token_service_tokens)
    r.add_get("/_emulator/connector/activities", connector_activities)
    r.add_put("/_emulator/connector/auth", connector_auth)
    r.add_get("/_emulator/connector/limits", get_connector_limits)
    r.add_put("/_emulator/connector/limits", put_connector_limits)
    r.add_post("/_emulator/connector/token", channel_token)
    r.add_put("/_emulator/apps/{app}/token-version", app_token_version)
    r.add_get("/_emulator/teams/apps", teams_apps)
    r.add_put("/_emulator/teams/apps", teams_apps)
