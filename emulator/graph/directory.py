"""Directory reads: ``/me``, ``/users/{id|upn}``, ``transitiveMemberOf``, ``checkMemberGroups``,
``/groups/{id}`` and ``/groups/{id}/transitiveMembers``."""

from __future__ import annotations

from typing import Any

from emulator.envelopes import GraphFailure
from emulator.graph.core import GraphCall, GraphReply, GraphService, Params
from emulator.graph.odata import select, select_fields
from emulator.seed import Account, Group
from emulator.tokens import Principal

CONTEXT = "https://graph.microsoft.com/v1.0/$metadata"
USER_READ_ALL = frozenset(
    {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "User.ReadBasic.All"}
)
GROUPS_READ = frozenset({"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All"})


def _denied() -> GraphFailure:
    return GraphFailure(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def _may_read(principal: Principal, account: Account, any_of: frozenset[str]) -> None:
    if principal.user is None:
        if not principal.roles & any_of:
            raise _denied()
        return
    if principal.user.id == account.id and principal.scopes & {"User.Read", *any_of}:
        return
    if not principal.scopes & any_of:
        raise _denied()


def user_json(account: Account) -> dict[str, Any]:
    return {
        "businessPhones": [],
        "displayName": account.display_name,
        "givenName": account.given_name,
        "jobTitle": account.job_title,
        "mail": account.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "surname": account.surname,
        "userPrincipalName": account.upn,
        "id": account.id,
    }


def _extended_user_json(account: Account) -> dict[str, Any]:
    return {
        **user_json(account),
        "department": account.department,
        "accountEnabled": account.kind == "member",
        "userType": "Member",
        "mailNickname": account.alias,
    }


def group_json(group: Group) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.group",
        "id": group.id,
        "displayName": group.display_name,
        "description": group.description,
        "mailNickname": group.mail_nickname,
        "mailEnabled": False,
        "securityEnabled": True,
        "groupTypes": [],
    }


async def get_user(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    account = svc.target(call, params["user"], mailbox=False)
    _may_read(call.principal, account, USER_READ_ALL)
    fields = select_fields(call.query)
    body = select(_extended_user_json(account), fields) if fields else user_json(account)
    return GraphReply(200, {"@odata.context": f"{CONTEXT}#users/$entity", **body})


async def transitive_member_of(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    account = svc.target(call, params["user"], mailbox=False)
    _may_read(call.principal, account, GROUPS_READ)
    fields = select_fields(call.query)
    groups = svc.state.tenant.transitive_groups(account.id)
    value = [select(group_json(g), fields) for g in sorted(groups, key=lambda g: g.display_name)]
    return GraphReply(200, {"@odata.context": f"{CONTEXT}#directoryObjects", "value": value})


async def check_member_groups(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    account = svc.target(call, params["user"], mailbox=False)
    _may_read(call.principal, account, GROUPS_READ)
    payload = call.json()
    ids = payload.get("groupIds") if isinstance(payload, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise GraphFailure(
            400,
            "Request_BadRequest",
            "Invalid value specified for property 'groupIds' of resource 'checkMemberGroups'.",
        )
    if len(ids) > 20:
        raise GraphFailure(400, "Request_BadRequest", "The number of groupIds must not exceed 20.")
    member_of = {g.id.lower() for g in svc.state.tenant.transitive_groups(account.id)}
    value = [i for i in ids if i.lower() in member_of]
    return GraphReply(200, {"@odata.context": f"{CONTEXT}#Collection(Edm.String)", "value": value})


def _group_or_404(svc: GraphService, group_id: str) -> Group:
    group = svc.state.tenant.group(group_id)
    if group is None:
        raise GraphFailure(
            404,
            "Request_ResourceNotFound",
            f"Resource '{group_id}' does not exist or one of its queried reference-property "
            "objects are not present.",
        )
    return group


async def get_group(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    """``GET /groups/{id}``: GroupMember.Read.All is the least privileged permission (app
    and delegated), Group.Read.All and Directory.Read.All also serve
    (https://learn.microsoft.com/graph/api/group-get, Permissions)."""
    principal = call.principal
    allowed = principal.roles if principal.user is None else principal.scopes
    if not allowed & GROUPS_READ:
        raise _denied()
    group = _group_or_404(svc, params["group"])
    body = select(group_json(group), select_fields(call.query))
    return GraphReply(200, {"@odata.context": f"{CONTEXT}#groups/$entity", **body})


async def group_transitive_members(
    svc: GraphService, call: GraphCall, params: Params
) -> GraphReply:
    principal = call.principal
    allowed = principal.roles if principal.user is None else principal.scopes
    if not allowed & (GROUPS_READ | USER_READ_ALL):
        raise _denied()
    tenant = svc.state.tenant
    group = _group_or_404(svc, params["group"])
    members = [
        a for a in tenant.accounts
        if any(g.id == group.id for g in tenant.transitive_groups(a.id))
    ]  # fmt: skip
    fields = select_fields(call.query)
    value = [
        {"@odata.type": "#microsoft.graph.user", **select(user_json(a), fields)}
        for a in sorted(members, key=lambda a: a.display_name)
    ]
    return GraphReply(200, {"@odata.context": f"{CONTEXT}#directoryObjects", "value": value})


def register(svc: GraphService) -> None:
    svc.add("GET", "/groups/{group}", get_group)
    svc.add("GET", "/groups/{group}/transitiveMembers", group_transitive_members)
    svc.add("GET", "/users/{user}", get_user)
    svc.add("GET", "/users/{user}/transitiveMemberOf", transitive_member_of)
    svc.add("GET", "/users/{user}/transitiveMemberOf/microsoft.graph.group", transitive_member_of)
    svc.add("POST", "/users/{user}/checkMemberGroups", check_member_groups)
