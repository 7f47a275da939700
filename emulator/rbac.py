"""What an app may do in a mailbox: its Entra grants plus Exchange RBAC for Applications.

Microsoft: "RBAC for Applications in Exchange Online allows admins to grant permissions to an
application that's independently accessing data in Exchange Online. This grant can be paired
with a scope of access (resource scope) to specify which mailboxes an app can access. [...]
These permission grants are independent of the unscoped grants in Microsoft Entra ID."
(learn.microsoft.com/exchange/permissions-exo/application-rbac, also
learn.microsoft.com/graph/auth-limit-mailbox-access). So:

* an Entra application permission (the token's ``roles``) applies to every mailbox;
* a role assignment such as ``Application Mail.Send`` with a management scope grants that
  permission on the mailboxes inside the scope, with no Entra grant at all;
* the two add up; Exchange checks the mailbox the URL names.

The role names and the Graph permission each carries are Microsoft's list of application
roles (the same article).
"""

from __future__ import annotations

from typing import Any

from emulator.seed import Account, AppRegistration, RoleAssignment, Tenant

ROLE_PERMISSIONS: dict[str, str] = {
    "Application Mail.Read": "Mail.Read",
    "Application Mail.ReadBasic": "Mail.ReadBasic.All",
    "Application Mail.ReadWrite": "Mail.ReadWrite",
    "Application Mail.Send": "Mail.Send",
    "Application MailboxSettings.Read": "MailboxSettings.Read",
    "Application MailboxSettings.ReadWrite": "MailboxSettings.ReadWrite",
    "Application Calendars.Read": "Calendars.Read",
    "Application Calendars.ReadWrite": "Calendars.ReadWrite",
    "Application Contacts.Read": "Contacts.Read",
    "Application Contacts.ReadWrite": "Contacts.ReadWrite",
}
"""RBAC application role → the Graph application permission it grants in scope. (Microsoft
names the basic-read permission ``Mail.ReadBasic`` in this list and ``Mail.ReadBasic.All`` in
Entra; the emulator uses the Entra name for both.)"""


def in_scope(tenant: Tenant, assignment: RoleAssignment, mailbox: Account) -> bool:
    if assignment.scope is None:
        return True
    scope = tenant.management_scope(assignment.scope)
    return scope is not None and scope.contains(mailbox)


def rbac_permissions(tenant: Tenant, app: AppRegistration, mailbox: Account) -> frozenset[str]:
    """The Graph permissions the app's role assignments grant on ``mailbox``."""
    return frozenset(
        ROLE_PERMISSIONS[a.role]
        for a in app.exchange_role_assignments
        if a.role in ROLE_PERMISSIONS and in_scope(tenant, a, mailbox)
    )


def app_permissions(
    tenant: Tenant, app_id: str, entra_roles: frozenset[str], mailbox: Account
) -> frozenset[str]:
    """Everything an app-only token may do on ``mailbox``: Entra grants + RBAC grants."""
    app = tenant.app(app_id)
    granted = rbac_permissions(tenant, app, mailbox) if app is not None else frozenset()
    return entra_roles | granted


def authorization_rows(
    tenant: Tenant, app: AppRegistration, mailbox: Account | None
) -> list[dict[str, Any]]:
    """``Test-ServicePrincipalAuthorization -Identity {app} [-Resource {mailbox}]``: one row
    per RBAC role assignment, ``InScope`` for the resource ("Not Run" without one), columns as
    the cmdlet's documentation shows them
    (learn.microsoft.com/powershell/module/exchange/test-serviceprincipalauthorization)."""
    rows: list[dict[str, Any]] = []
    for assignment in app.exchange_role_assignments:
        rows.append(
            {
                "RoleName": assignment.role,
                "GrantedPermissions": ROLE_PERMISSIONS.get(assignment.role, ""),
                "AllowedResourceScope": assignment.scope or "Organization",
                "ScopeType": "CustomRecipientScope" if assignment.scope else "Organization",
                "InScope": "Not Run" if mailbox is None else in_scope(tenant, assignment, mailbox),
            }
        )
    return rows
