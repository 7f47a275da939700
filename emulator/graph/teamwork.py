"""Teams apps in a user's personal scope: ``POST /users/{id}/teamwork/installedApps`` (install)
and ``GET`` (list), as learn.microsoft.com/graph/api/userteamwork-post-installedapps and
userteamwork-list-installedapps describe them.

* Application permissions, least privileged first: TeamsAppInstallation.ReadWriteSelfForUser.All,
  TeamsAppInstallation.ReadWriteForUser.All (a token with neither: 403).
* The body binds the catalog app: ``{"teamsApp@odata.bind":
  "https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{teamsAppId}"}``; success is
  ``201 Created`` with no body. Only apps in the organisation's catalog can be installed.
* Not documented, so the stricter reading: an app already installed for the user answers
  409 ``Conflict``; an app the tenant's app permission policy blocks answers 403; an unknown
  catalog id 404.
"""

from __future__ import annotations

import re

from emulator.envelopes import GraphFailure
from emulator.graph.core import GraphCall, GraphReply, GraphService, Params

INSTALL_ROLES = frozenset(
    {"TeamsAppInstallation.ReadWriteSelfForUser.All", "TeamsAppInstallation.ReadWriteForUser.All"}
)
_BIND = re.compile(
    r"^https://graph\.microsoft\.com/(?:v1\.0|beta)/appCatalogs/teamsApps/([^/?#]+)$"
)
CONTEXT = "https://graph.microsoft.com/v1.0/$metadata"


def _allowed(call: GraphCall) -> None:
    principal = call.principal
    granted = principal.roles if principal.user is None else principal.scopes
    if not granted & INSTALL_ROLES:
        raise GraphFailure(403, "Forbidden", "Missing role permissions on the request.")


def _user_id(svc: GraphService, key: str) -> str:
    account = svc.state.tenant.account(key)
    if account is None or account.kind != "member":
        raise GraphFailure(404, "NotFound", f"User {key} was not found.")
    return account.id


async def install(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    _allowed(call)
    user = _user_id(svc, params["user"])
    body = call.json()
    bind = body.get("teamsApp@odata.bind") if isinstance(body, dict) else None
    match = _BIND.match(bind) if isinstance(bind, str) else None
    if match is None:
        raise GraphFailure(400, "BadRequest", "teamsApp@odata.bind is required.")
    apps = svc.state.teams_apps
    if match.group(1).lower() != apps.catalog_id:
        raise GraphFailure(404, "NotFound", "The app was not found in the app catalog.")
    if apps.install_blocked:
        raise GraphFailure(
            403, "Forbidden", "The app is blocked by the tenant's app permission policy."
        )
    if user in apps.installed:
        raise GraphFailure(409, "Conflict", "The app is already installed for the user.")
    apps.installed.add(user)
    return GraphReply(201, None)


async def list_installed(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    _allowed(call)
    user = _user_id(svc, params["user"])
    apps = svc.state.teams_apps
    value = (
        [{"id": f"{user}##{apps.catalog_id}", "teamsApp": {"id": apps.catalog_id}}]
        if user in apps.installed
        else []
    )
    context = f"{CONTEXT}#users('{user}')/teamwork/installedApps"
    return GraphReply(200, {"@odata.context": context, "value": value})


def register(svc: GraphService) -> None:
    svc.add("POST", "/users/{user}/teamwork/installedApps", install)
    svc.add("GET", "/users/{user}/teamwork/installedApps", list_installed)
