"""Exchange Online admin REST (what ExchangeOnlineManagement v3 calls):
``POST /adminapi/beta/{tenant}/InvokeCommand`` with
``{"CmdletInput": {"CmdletName": "...", "Parameters": {...}}}``.

Needs an app-only token for ``https://outlook.office365.com`` with the role
``Exchange.ManageAsApp``. Answers ``{"value": [...]}``; pages by ``Prefer:
odata.maxpagesize=N`` (default ``Limits.exchange_page_size``) with ``@odata.nextLink`` (POST the
same body to it, or GET it). Identities are written as primary SMTP addresses, trustees as UPNs.

Cmdlets: ``Get-RecipientPermission`` (Identity, Trustee, AccessRights), ``Get-MailboxPermission``
(Identity, User), ``Get-Mailbox`` (Identity, RecipientTypeDetails, Filter
``GrantSendOnBehalfTo -eq '<user>'``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from emulator.appkeys import CTX, STATE
from emulator.envelopes import GraphFailure, graph_error_body
from emulator.seed import Account, AppRegistration, Tenant
from emulator.state import EmulatorState
from emulator.tokens import EXCHANGE_RESOURCE, TokenRejected

Json = dict[str, Any]
SELF = "NT AUTHORITY\\SELF"


def _params(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    return {str(k).lower(): v for k, v in raw.items()}


def _not_found(identity: str) -> GraphFailure:
    return GraphFailure(
        404,
        "NotFound",
        "|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation "
        f"couldn't be performed because object '{identity}' couldn't be found on "
        "'EMULATOR01.contoso.local'.",
    )


def _mailboxes(tenant: Tenant, identity: Any) -> list[Account]:
    boxes = [a for a in tenant.accounts if a.has_mailbox]
    if identity is None or identity == "":
        return boxes
    key = str(identity).strip().lower()
    found = tenant.account(key)
    if found is None:
        found = next((a for a in boxes if key in (a.alias.lower(), a.display_name.lower())), None)
    if found is None or not found.has_mailbox:
        raise _not_found(str(identity))
    return [found]


def _trustee(tenant: Tenant, value: Any) -> Account:
    key = str(value).strip().lower()
    found = tenant.account(key) or next(
        (a for a in tenant.accounts if key in (a.alias.lower(), a.display_name.lower())), None
    )
    if found is None:
        raise _not_found(str(value))
    return found


def _upn(tenant: Tenant, account_id: str) -> str:
    account = tenant.account(account_id)
    return account.upn if account is not None else account_id


def get_recipient_permission(tenant: Tenant, params: Mapping[str, Any]) -> list[Json]:
    rows: list[Json] = []
    trustee = _trustee(tenant, params["trustee"]) if params.get("trustee") else None
    rights = params.get("accessrights")
    if rights is not None and str(rights).lower() != "sendas":
        return []
    for box in _mailboxes(tenant, params.get("identity")):
        entries: list[tuple[str, str | None]] = []
        if box.kind == "member":
            entries.append((SELF, None))
        entries += [(_upn(tenant, t), t) for t in box.send_as]
        for name, account_id in entries:
            if trustee is not None and account_id != trustee.id:
                continue
            rows.append(
                {
                    "Identity": box.upn,
                    "Trustee": name,
                    "AccessControlType": "Allow",
                    "AccessRights": ["SendAs"],
                    "IsInherited": False,
                    "InheritanceType": "None",
                    "IsValid": True,
                    "ObjectState": "Unchanged",
                }
            )
    return rows


def get_mailbox_permission(tenant: Tenant, params: Mapping[str, Any]) -> list[Json]:
    rows: list[Json] = []
    user = _trustee(tenant, params["user"]) if params.get("user") else None
    for box in _mailboxes(tenant, params.get("identity")):
        if user is None:
            rows.append(
                {
                    "Identity": box.upn,
                    "User": SELF,
                    "AccessRights": ["FullAccess", "ReadPermission"],
                    "IsInherited": False,
                    "Deny": False,
                    "InheritanceType": "All",
                }
            )
        for trustee_id in box.full_access:
            if user is not None and trustee_id != user.id:
                continue
            rows.append(
                {
                    "Identity": box.upn,
                    "User": _upn(tenant, trustee_id),
                    "AccessRights": ["FullAccess"],
                    "IsInherited": False,
                    "Deny": False,
                    "InheritanceType": "All",
                }
            )
    return rows


_FILTER = re.compile(r"^\s*GrantSendOnBehalfTo\s+-eq\s+['\"]([^'\"]+)['\"]\s*$", re.IGNORECASE)


def get_mailbox(tenant: Tenant, params: Mapping[str, Any]) -> list[Json]:
    boxes = _mailboxes(tenant, params.get("identity"))
    wanted = params.get("recipienttypedetails")
    if wanted:
        kinds = {str(w).lower() for w in (wanted if isinstance(wanted, list) else [wanted])}
        boxes = [b for b in boxes if _type_details(b).lower() in kinds]
    if params.get("filter"):
        found = _FILTER.match(str(params["filter"]))
        if found is None:
            raise GraphFailure(
                400,
                "BadRequest",
                f"Cannot bind parameter 'Filter': the emulator understands only "
                f"\"GrantSendOnBehalfTo -eq '<user>'\", not {params['filter']!r}.",
            )
        delegate = _trustee(tenant, found.group(1))
        boxes = [b for b in boxes if delegate.id in b.send_on_behalf]
    return [_mailbox_row(tenant, b) for b in boxes]


def _type_details(box: Account) -> str:
    return "UserMailbox" if box.kind == "member" else "SharedMailbox"


def _mailbox_row(tenant: Tenant, box: Account) -> Json:
    return {
        "Identity": box.upn,
        "Name": box.alias,
        "Alias": box.alias,
        "DisplayName": box.display_name,
        "PrimarySmtpAddress": box.upn,
        "UserPrincipalName": box.upn,
        "EmailAddresses": [f"SMTP:{box.upn}"],
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": _type_details(box),
        "GrantSendOnBehalfTo": [_upn(tenant, t) for t in box.send_on_behalf],
        "ExternalDirectoryObjectId": box.id,
        "Guid": box.id,
    }


def _service_principal(tenant: Tenant, identity: str) -> AppRegistration:
    key = identity.strip().lower()
    for app in tenant.apps:
        if key in (app.client_id, app.service_principal_id, app.display_name.lower()):
            return app
    raise _not_found(identity)


def test_service_principal_authorization(tenant: Tenant, params: Mapping[str, Any]) -> list[Json]:
    """RBAC for Applications: one row per role assignment of the service principal (by app id,
    object id or name) and, with ``-Resource``, whether that mailbox is in the assignment's
    scope; without it ``InScope`` is "Not Run". Columns as in the cmdlet's documentation
    (learn.microsoft.com/powershell/module/exchange/test-serviceprincipalauthorization)."""
    app = _service_principal(tenant, str(params.get("identity") or ""))
    resource = params.get("resource")
    box = _mailboxes(tenant, resource)[0] if resource else None
    granted = tenant.rbac_grants(app, box) if box is not None else []
    rows: list[Json] = []
    for assignment in app.exchange_role_assignments:
        in_scope: bool | str = "Not Run" if box is None else assignment in granted
        scoped = assignment.scope is not None
        rows.append(
            {
                "RoleName": assignment.role,
                "GrantedPermissions": assignment.role.removeprefix("Application "),
                "AllowedResourceScope": assignment.scope if scoped else "Organization",
                "ScopeType": "CustomRecipientScope" if scoped else "Organization",
                "InScope": in_scope,
            }
        )
    return rows


CMDLETS = {
    "test-serviceprincipalauthorization": test_service_principal_authorization,
    "get-recipientpermission": get_recipient_permission,
    "get-mailboxpermission": get_mailbox_permission,
    "get-mailbox": get_mailbox,
}


# The Exchange roles that hold the cmdlets above, as Entra directory roles (or the role group
# name of docs/deploy.md's least-privilege alternative). An app with Exchange.ManageAsApp but
# none of them may connect and run nothing (learn.microsoft.com/powershell/exchange/
# app-only-auth-powershell-v2, "Assign Microsoft Entra roles to the application"). Which role
# holds Test-ServicePrincipalAuthorization is not documented: the recipient readers are assumed.
RECIPIENT_READERS = frozenset(
    {
        "Exchange Recipient Administrator",
        "Exchange Administrator",
        "Global Administrator",
        "Global Reader",
        "View-Only Recipients",
    }
)


def _may_run(state: EmulatorState, app_id: str, cmdlet: str) -> None:
    app = state.tenant.app(app_id)
    if app is None or not app.directory_roles & RECIPIENT_READERS:
        raise GraphFailure(
            400,
            "BadRequest",
            f"|System.Management.Automation.CommandNotFoundException|The term '{cmdlet}' is not "
            "recognized as a name of a cmdlet, function, script file, or executable program: "
            "no role assigned to the application holds it.",
        )


def _authorize(state: EmulatorState, request: web.Request) -> None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        raise GraphFailure(401, "Unauthorized", "Access token is missing.")
    try:
        principal = state.tokens.principal(header[7:].strip(), [EXCHANGE_RESOURCE])
    except TokenRejected as exc:
        raise GraphFailure(
            401, "Unauthorized", f"Access token validation failure. {exc.reason}"
        ) from exc
    ctx = request[CTX]
    ctx.app_id = principal.app_id
    ctx.subject = principal.subject
    if not principal.is_app_only or "Exchange.ManageAsApp" not in principal.roles:
        raise GraphFailure(
            403,
            "Forbidden",
            "The role assigned to application isn't supported in this scenario "
            "(Exchange.ManageAsApp is required).",
        )


def _decode_skiptoken(token: str) -> Json:
    try:
        state: Json = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError) as exc:
        raise GraphFailure(400, "BadRequest", "The $skiptoken is not valid.") from exc
    return state


def _page_size(request: web.Request, default: int) -> int:
    prefer = request.headers.get("Prefer", "")
    found = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", prefer)
    return max(1, int(found.group(1))) if found else default


async def _command(state: EmulatorState, request: web.Request) -> tuple[str, Json, int]:
    """The cmdlet name, its parameters and the row offset (from the body or a skiptoken)."""
    tenant = request.match_info["tenant"].lower()
    if tenant not in (state.tenant.id, state.tenant.domain):
        raise GraphFailure(404, "NotFound", f"Tenant '{tenant}' was not found.")
    _authorize(state, request)
    skiptoken = request.query.get("$skiptoken")
    if skiptoken:
        saved = _decode_skiptoken(skiptoken)
        return str(saved["cmdlet"]), dict(saved["params"]), int(saved["offset"])
    try:
        payload = await request.json()
    except ValueError as exc:
        raise GraphFailure(400, "BadRequest", "The request body is not JSON.") from exc
    cmdlet_input = payload.get("CmdletInput") if isinstance(payload, dict) else None
    if not isinstance(cmdlet_input, dict) or not cmdlet_input.get("CmdletName"):
        raise GraphFailure(400, "BadRequest", "CmdletInput.CmdletName is required.")
    return str(cmdlet_input["CmdletName"]), _params(cmdlet_input.get("Parameters")), 0


async def _rows(state: EmulatorState, request: web.Request) -> tuple[str, Json, int, list[Json]]:
    name, params, offset = await _command(state, request)
    run = CMDLETS.get(name.lower())
    if run is None:
        raise GraphFailure(
            400,
            "BadRequest",
            f"The term '{name}' is not recognized as a cmdlet the emulator supports.",
        )
    _may_run(state, request[CTX].app_id or "", name)
    return name, params, offset, run(state.tenant, params)


async def handle_invoke(request: web.Request) -> web.Response:
    state = request.app[STATE]
    ctx = request[CTX]
    try:
        name, params, offset, rows = await _rows(state, request)
    except GraphFailure as failure:
        body = graph_error_body(
            failure.code, failure.message, ctx.request_id, ctx.client_request_id
        )
        return web.json_response(body, status=failure.status)
    size = _page_size(request, state.limits.exchange_page_size)
    page = rows[offset : offset + size]
    base = f"{state.base_url}/adminapi/beta/{state.tenant.id}"
    answer: Json = {
        "@odata.context": f"{base}/$metadata#Collection(Exchange.GenericHashTable)",
        "adminapi.warnings@odata.type": "#Collection(String)",
        "adminapi.warnings": [],
        "value": page,
    }
    if offset + size < len(rows):
        token = base64.urlsafe_b64encode(
            json.dumps({"cmdlet": name, "params": params, "offset": offset + size}).encode()
        ).decode()
        answer["@odata.nextLink"] = f"{base}/InvokeCommand?$skiptoken={token}"
    return web.json_response(answer)
