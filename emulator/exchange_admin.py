"""Exchange Online admin REST, both forms (sources in docs/platform.md, "Exchange rights"):

* ``POST /adminapi/beta/{tenant}/InvokeCommand`` — what the ExchangeOnlineManagement v3
  module calls; undocumented and unsupported by Microsoft, but the only REST form of
  ``Get-RecipientPermission`` and ``Get-MailboxPermission``. Any modelled cmdlet.
  Application permission ``Exchange.ManageAsApp``.
* ``POST /adminapi/v2.0/{tenant}/{Endpoint}`` — the supported Exchange Online Admin API
  (preview): a few endpoints, each with a few cmdlets and parameters, POST only,
  ``X-AnchorMailbox`` required, ``$select`` honoured. Application permission
  ``Exchange.ManageAsAppV2``. The emulator serves the ``Mailbox`` endpoint (``Get-Mailbox``).

Both take ``{"CmdletInput": {"CmdletName": "...", "Parameters": {...}}}`` and answer
``{"value": [...]}``, paged by ``Prefer: odata.maxpagesize=N`` with ``@odata.nextLink``.
Both need an app-only token for ``https://outlook.office365.com`` whose app holds an Entra
directory role Exchange honours for app-only access, and a role that may run the cmdlet
(stricter reading: see ``CMDLET_ROLES``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from emulator.appkeys import CTX, STATE
from emulator.exchange_cmdlets import (
    INVOKE_COMMAND,
    V2_ENDPOINTS,
    Cmdlet,
    ExchangeFailure,
    unknown_parameter,
)
from emulator.state import EmulatorState
from emulator.tokens import EXCHANGE_RESOURCE, TokenRejected

Json = dict[str, Any]

# Entra roles Exchange Online honours for app-only access ("App-only authentication in
# Exchange Online PowerShell", section "Assign Microsoft Entra roles to the application").
APP_ONLY_ROLES = frozenset(
    {
        "Compliance Administrator",
        "Exchange Administrator",
        "Exchange Recipient Administrator",
        "Global Administrator",
        "Global Reader",
        "Helpdesk Administrator",
        "Security Administrator",
        "Security Reader",
    }
)
# Which of those may run each cmdlet. Microsoft documents no per-cmdlet table for app-only
# roles, so the stricter reading: recipient reads need a recipient or Exchange admin role
# (or Global Reader, read-only); Send As entries ("Mail Recipients" role) need an admin one.
_RECIPIENT_READERS = frozenset(
    {
        "Exchange Administrator",
        "Exchange Recipient Administrator",
        "Global Administrator",
        "Global Reader",
    }
)
_RECIPIENT_ADMINS = _RECIPIENT_READERS - {"Global Reader"}
CMDLET_ROLES: Mapping[str, frozenset[str]] = {
    "get-mailbox": _RECIPIENT_READERS,
    "get-recipient": _RECIPIENT_READERS,
    "get-mailboxpermission": _RECIPIENT_READERS,
    "get-recipientpermission": _RECIPIENT_ADMINS,
    "test-serviceprincipalauthorization": _RECIPIENT_ADMINS,
}

BETA_PERMISSION = "Exchange.ManageAsApp"
V2_PERMISSION = "Exchange.ManageAsAppV2"


def _params(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    return {str(k).lower(): v for k, v in raw.items()}


def _auth_failure(status: int, code: str, message: str) -> ExchangeFailure:
    return ExchangeFailure(status, code, message, form="auth")


def _authorize(state: EmulatorState, request: web.Request, permission: str) -> frozenset[str]:
    """The app's Exchange-honoured directory roles, or an authorisation failure."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        raise _auth_failure(401, "Unauthorized", "Access token is missing.")
    try:
        principal = state.tokens.principal(header[7:].strip(), [EXCHANGE_RESOURCE])
    except TokenRejected as exc:
        raise _auth_failure(
            401, "Unauthorized", f"Access token validation failure. {exc.reason}"
        ) from exc
    ctx = request[CTX]
    ctx.app_id = principal.app_id
    ctx.subject = principal.subject
    if not principal.is_app_only or permission not in principal.roles:
        raise _auth_failure(
            403,
            "Forbidden",
            f"The access token does not carry the application permission {permission}.",
        )
    app = state.tenant.app(principal.app_id or "")
    roles = (app.directory_roles if app else frozenset()) & APP_ONLY_ROLES
    if not roles:
        # The text Exchange answers an app-only call with when the app has no supported
        # Entra role (seen through Connect-ExchangeOnline and the REST endpoints).
        raise _auth_failure(
            401,
            "Unauthorized",
            f"The role assigned to application {principal.app_id} isn't supported in this "
            "scenario. Please check online documentation for assigning correct Directory "
            "Roles to Azure AD Application for EXO App-Only Authentication.",
        )
    return roles


def _may_run(roles: frozenset[str], cmdlet: str) -> None:
    allowed = CMDLET_ROLES.get(cmdlet.lower(), frozenset())
    if not roles & allowed:
        raise _auth_failure(401, "Unauthorized", f"User is not allowed to call {cmdlet}")


def _decode_skiptoken(token: str) -> Json:
    try:
        saved: Json = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError) as exc:
        raise ExchangeFailure(
            400, "BadRequest", "The $skiptoken is not valid.", form="binding"
        ) from exc
    return saved


def _page_size(request: web.Request, default: int) -> int:
    prefer = request.headers.get("Prefer", "")
    found = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", prefer)
    return max(1, int(found.group(1))) if found else default


def _check_tenant(state: EmulatorState, request: web.Request) -> None:
    tenant = request.match_info["tenant"].lower()
    if tenant not in (state.tenant.id, state.tenant.domain):
        raise ExchangeFailure(404, "NotFound", f"Tenant '{tenant}' was not found.", form="auth")


async def _command(request: web.Request) -> tuple[str, Json, int]:
    """The cmdlet name, its parameters and the row offset (from the body or a skiptoken)."""
    skiptoken = request.query.get("$skiptoken")
    if skiptoken:
        saved = _decode_skiptoken(skiptoken)
        return str(saved["cmdlet"]), dict(saved["params"]), int(saved["offset"])
    try:
        payload = await request.json()
    except ValueError as exc:
        raise ExchangeFailure(
            400, "BadRequest", "The request body is not JSON.", form="binding"
        ) from exc
    cmdlet_input = payload.get("CmdletInput") if isinstance(payload, dict) else None
    if not isinstance(cmdlet_input, dict) or not cmdlet_input.get("CmdletName"):
        raise ExchangeFailure(
            400, "BadRequest", "CmdletInput.CmdletName is required.", form="binding"
        )
    return str(cmdlet_input["CmdletName"]), _params(cmdlet_input.get("Parameters")), 0


def _unknown_cmdlet(name: str) -> ExchangeFailure:
    return ExchangeFailure(
        400,
        "BadRequest",
        f"The term '{name}' is not recognized as a name of a cmdlet, function, script file, "
        "or executable program.",
        form="binding",
        exception="System.Management.Automation.CommandNotFoundException",
    )


@dataclass(frozen=True)
class _Ran:
    base: str  # the endpoint's base URL, for @odata.context
    name: str
    params: Json
    offset: int
    rows: list[Json]


def _page(state: EmulatorState, request: web.Request, ran: _Ran) -> Json:
    size = _page_size(request, state.limits.exchange_page_size)
    select = [s.strip() for s in request.query.get("$select", "").split(",") if s.strip()]
    page = ran.rows[ran.offset : ran.offset + size]
    if select:
        page = [{k: v for k, v in row.items() if k in select} for row in page]
    answer: Json = {
        "@odata.context": f"{ran.base}/$metadata#Collection(Exchange.GenericHashTable)",
        "adminapi.warnings@odata.type": "#Collection(String)",
        "adminapi.warnings": [],
        "value": page,
    }
    if ran.offset + size < len(ran.rows):
        saved = {"cmdlet": ran.name, "params": ran.params, "offset": ran.offset + size}
        token = base64.urlsafe_b64encode(json.dumps(saved).encode()).decode()
        query = f"$skiptoken={token}" + (f"&$select={','.join(select)}" if select else "")
        answer["@odata.nextLink"] = f"{state.base_url}{request.path}?{query}"
    return answer


async def _answer(request: web.Request, work: Awaitable[_Ran]) -> web.Response:
    try:
        ran = await work
    except ExchangeFailure as failure:
        return web.json_response(failure.body(), status=failure.status)
    return web.json_response(_page(request.app[STATE], request, ran))


async def handle_invoke(request: web.Request) -> web.Response:
    """``/adminapi/beta/{tenant}/InvokeCommand`` (POST; GET for a nextLink)."""
    return await _answer(request, _invoke(request.app[STATE], request))


async def handle_v2(request: web.Request) -> web.Response:
    """``/adminapi/v2.0/{tenant}/{endpoint}`` (POST only, the nextLink too)."""
    return await _answer(request, _v2(request.app[STATE], request))


async def _invoke(state: EmulatorState, request: web.Request) -> _Ran:
    _check_tenant(state, request)
    roles = _authorize(state, request, BETA_PERMISSION)
    name, params, offset = await _command(request)
    run = INVOKE_COMMAND.get(name.lower())
    if run is None:
        raise _unknown_cmdlet(name)
    _may_run(roles, name)
    base = f"{state.base_url}/adminapi/beta/{state.tenant.id}"
    return _Ran(base, name, params, offset, run(state.tenant, params))


async def _v2(state: EmulatorState, request: web.Request) -> _Ran:
    _check_tenant(state, request)
    endpoint = V2_ENDPOINTS.get(request.match_info["endpoint"].lower())
    if endpoint is None:
        raise ExchangeFailure(
            404,
            "NotFound",
            f"The endpoint '{request.match_info['endpoint']}' does not exist (the emulator "
            "serves the Mailbox endpoint of the Admin API).",
            form="auth",
        )
    if not request.headers.get("X-AnchorMailbox"):
        raise ExchangeFailure(
            400, "BadRequest", "The X-AnchorMailbox header is required.", form="auth"
        )
    roles = _authorize(state, request, V2_PERMISSION)
    name, params, offset = await _command(request)
    run = _v2_cmdlet(endpoint, name, params)
    _may_run(roles, name)
    base = f"{state.base_url}/adminapi/v2.0/{state.tenant.id}"
    return _Ran(base, name, params, offset, run(state.tenant, params))


def _v2_cmdlet(
    endpoint: Mapping[str, tuple[Cmdlet, frozenset[str]]], name: str, params: Json
) -> Cmdlet:
    found = endpoint.get(name.lower())
    if found is None:
        raise _unknown_cmdlet(name)
    run, allowed = found
    for parameter in params:
        if parameter not in allowed:
            raise unknown_parameter(parameter)
    return run
