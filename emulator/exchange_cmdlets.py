"""The Exchange cmdlets the emulator runs, over the seeded tenant, and their errors.

How Exchange names things (docs/platform.md, "Exchange rights"):

* ``-Identity`` / ``-Trustee`` / ``-User`` take a recipient's object id (its
  ``ExternalDirectoryObjectId``), ``Guid``, primary SMTP address / UPN, ``Name`` or
  ``Alias`` — never its display name. Two matches are an error, not a guess.
* A recipient's ``Name`` (hence ``Identity`` in results) is, since 2022, usually its Entra
  object id; older recipients carry a free-form name (often the display name).
* ``Get-RecipientPermission`` writes user trustees as UPNs and group trustees by ``Name``;
  ``Get-MailboxPermission`` likewise in ``User``; ``GrantSendOnBehalfTo`` lists ``Name``\\ s.
* Send As and Full Access may be granted to mail-enabled security groups; Exchange lists
  the group, it does not expand it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from emulator.rbac import authorization_rows
from emulator.seed import Account, AppRegistration, Group, Tenant

Json = dict[str, Any]
SELF = "NT AUTHORITY\\SELF"
NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
AMBIGUOUS = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException"
BINDING = "System.Management.Automation.ParameterBindingException"
ODATA_EXCEPTION = "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"
SERVER = "EMULATOR01.PROD.OUTLOOK.COM"

Form = Literal["cmdlet", "binding", "auth"]


class ExchangeFailure(Exception):
    """An Exchange admin API error, written in one of the shapes Exchange uses:

    * ``cmdlet``: the cmdlet ran and failed — ``error.details[].message`` is
      ``"<id>|<exception type>|<text>"`` and ``error.innererror.internalexception`` repeats
      the exception;
    * ``binding``: the request never reached a cmdlet (unknown cmdlet or parameter) —
      only ``error.innererror.internalexception`` names the exception;
    * ``auth``: authorisation — ``error.innererror`` with ``message`` and ``type`` only.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        form: Form = "cmdlet",
        exception: str = NOT_FOUND,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.form = form
        self.exception = exception

    def body(self) -> Json:
        inner: Json = {"message": self.message, "type": ODATA_EXCEPTION}
        if self.form == "auth":
            return {"error": {"code": self.code, "message": self.message, "innererror": inner}}
        internal = {"message": self.message, "type": self.exception, "stacktrace": ""}
        if self.form == "binding":
            inner = {**inner, "stacktrace": "", "internalexception": internal}
            return {"error": {"code": self.code, "message": self.message, "innererror": inner}}
        summary = "Error executing cmdlet"
        detail = {"code": "Context", "target": "", "message": f"Ex6F9304|{self.exception}|"
                  f"{self.message}"}  # fmt: skip
        inner = {"message": summary, "type": ODATA_EXCEPTION, "stacktrace": "",
                 "internalexception": internal}  # fmt: skip
        return {"error": {"code": self.code, "message": summary, "details": [detail],
                          "innererror": inner}}  # fmt: skip


def not_found(identity: object) -> ExchangeFailure:
    return ExchangeFailure(
        404,
        "NotFound",
        f"The operation couldn't be performed because object '{identity}' couldn't be found "
        f"on '{SERVER}'.",
    )


def unknown_parameter(name: str) -> ExchangeFailure:
    return ExchangeFailure(
        400,
        "BadRequest",
        f"A parameter cannot be found that matches parameter name '{name}'.",
        form="binding",
        exception=BINDING,
    )


# --- recipients ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A mail recipient: a mailbox (user, shared, no-reply) or a mail-enabled group."""

    account: Account | None = None
    group: Group | None = None

    @property
    def id(self) -> str:
        return self.account.id if self.account else self._group.id

    @property
    def name(self) -> str:
        return self.account.recipient_name if self.account else self._group.recipient_name

    @property
    def address(self) -> str:
        return self.account.upn if self.account else str(self._group.mail)

    @property
    def alias(self) -> str:
        if self.account:
            return self.account.alias
        return self.address.split("@", 1)[0]

    @property
    def display_name(self) -> str:
        return self.account.display_name if self.account else self._group.display_name

    @property
    def _group(self) -> Group:
        assert self.group is not None
        return self.group


def recipients(tenant: Tenant) -> list[Recipient]:
    found = [Recipient(account=a) for a in tenant.accounts if a.has_mailbox]
    return found + [Recipient(group=g) for g in tenant.groups if g.mail is not None]


def resolve(tenant: Tenant, identity: object, *, mailboxes_only: bool = False) -> Recipient:
    """The recipient ``identity`` names, as Exchange's identity parameters resolve it."""
    key = str(identity).strip().lower()
    candidates = [r for r in recipients(tenant) if not mailboxes_only or r.account is not None]
    matches = [r for r in candidates if key in (r.id.lower(), r.address, r.name.lower())]
    if not matches:
        matches = [r for r in candidates if r.alias.lower() == key]
    if len(matches) > 1:
        raise ExchangeFailure(
            400,
            "BadRequest",
            f"The operation couldn't be performed because '{identity}' matches multiple entries.",
            exception=AMBIGUOUS,
        )
    if not matches:
        raise not_found(identity)
    return matches[0]


def _mailboxes(tenant: Tenant, identity: Any) -> list[Account]:
    if identity is None or identity == "":
        return [a for a in tenant.accounts if a.has_mailbox]
    found = resolve(tenant, identity, mailboxes_only=True).account
    assert found is not None
    return [found]


def _name_of(tenant: Tenant, trustee_id: str, *, as_trustee: bool = False) -> str:
    """A trustee as Exchange writes it: a permission entry names a user by UPN, everything
    else (and every group) by recipient Name."""
    account = tenant.account(trustee_id)
    if account is not None:
        return account.upn if as_trustee else account.recipient_name
    group = tenant.group(trustee_id)
    return group.recipient_name if group is not None else trustee_id


# --- cmdlets ---------------------------------------------------------------------------


def get_recipient_permission(tenant: Tenant, params: Mapping[str, Any]) -> list[Json]:
    rows: list[Json] = []
    trustee = resolve(tenant, params["trustee"]) if params.get("trustee") else None
    rights = params.get("accessrights")
    if rights is not None and str(rights).lower() != "sendas":
        return []
    for box in _mailboxes(tenant, params.get("identity")):
        entries: list[tuple[str, str | None]] = []
        if box.kind == "member":
            entries.append((SELF, None))
        entries += [(_name_of(tenant, t, as_trustee=True), t) for t in box.send_as]
        for name, trustee_id in entries:
            if trustee is not None and trustee_id != trustee.id:
                continue
            rows.append(
                {
                    "Identity": box.recipient_name,
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
    user = resolve(tenant, params["user"]) if params.get("user") else None
    for box in _mailboxes(tenant, params.get("identity")):
        if user is None:
            rows.append(_permission_row(box, SELF, ["FullAccess", "ReadPermission"]))
        for trustee_id in box.full_access:
            if user is not None and trustee_id != user.id:
                continue
            rows.append(
                _permission_row(box, _name_of(tenant, trustee_id, as_trustee=True), ["FullAccess"])
            )
    return rows


def _permission_row(box: Account, user: str, rights: list[str]) -> Json:
    return {
        "Identity": box.recipient_name,
        "User": user,
        "AccessRights": rights,
        "IsInherited": False,
        "Deny": False,
        "InheritanceType": "All",
    }


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
            raise ExchangeFailure(
                400,
                "BadRequest",
                "Cannot bind parameter 'Filter': the emulator understands only "
                f"\"GrantSendOnBehalfTo -eq '<user>'\", not {params['filter']!r}.",
                form="binding",
                exception=BINDING,
            )
        delegate = resolve(tenant, found.group(1))
        boxes = [b for b in boxes if delegate.id in b.send_on_behalf]
    size = params.get("resultsize")
    if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
        boxes = boxes[:size]
    return [mailbox_row(tenant, b) for b in boxes]


def _type_details(box: Account) -> str:
    return "UserMailbox" if box.kind == "member" else "SharedMailbox"


def mailbox_row(tenant: Tenant, box: Account) -> Json:
    return {
        "Identity": box.recipient_name,
        "Name": box.recipient_name,
        "Alias": box.alias,
        "DisplayName": box.display_name,
        "PrimarySmtpAddress": box.upn,
        "UserPrincipalName": box.upn,
        "EmailAddresses": [f"SMTP:{box.upn}"],
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": _type_details(box),
        "GrantSendOnBehalfTo": [_name_of(tenant, t) for t in box.send_on_behalf],
        "ExternalDirectoryObjectId": box.id,
        "Guid": box.id,
    }


def get_recipient(tenant: Tenant, params: Mapping[str, Any]) -> list[Json]:
    found = [resolve(tenant, params["identity"])] if params.get("identity") else None
    rows = []
    for recipient in found if found is not None else recipients(tenant):
        account = recipient.account
        kind = _type_details(account) if account else "MailUniversalSecurityGroup"
        rows.append(
            {
                "Identity": recipient.name,
                "Name": recipient.name,
                "Alias": recipient.alias,
                "DisplayName": recipient.display_name,
                "PrimarySmtpAddress": recipient.address,
                "RecipientType": "UserMailbox" if account else kind,
                "RecipientTypeDetails": kind,
                "ExternalDirectoryObjectId": recipient.id,
                "Guid": recipient.id,
            }
        )
    return rows


def _service_principal(tenant: Tenant, identity: str) -> AppRegistration:
    """The app by client id, service principal object id or display name."""
    key = identity.strip().lower()
    for app in tenant.apps:
        if key in (
            app.client_id.lower(),
            app.service_principal_id.lower(),
            app.display_name.lower(),
        ):
            return app
    raise not_found(identity)


def test_service_principal_authorization(tenant: Tenant, params: Mapping[str, Any]) -> list[Json]:
    """RBAC for Applications: which app roles the service principal holds and whether
    ``-Resource`` (a mailbox) is inside their scope."""
    identity = str(params.get("identity") or "")
    app = _service_principal(tenant, identity)
    resource = params.get("resource")
    box = _mailboxes(tenant, resource)[0] if resource else None
    return authorization_rows(tenant, app, box)


Cmdlet = Callable[[Tenant, Mapping[str, Any]], list[Json]]

# The beta InvokeCommand endpoint: every cmdlet the emulator models, any parameter.
INVOKE_COMMAND: dict[str, Cmdlet] = {
    "test-serviceprincipalauthorization": test_service_principal_authorization,
    "get-recipientpermission": get_recipient_permission,
    "get-mailboxpermission": get_mailbox_permission,
    "get-mailbox": get_mailbox,
    "get-recipient": get_recipient,
}

# The supported v2.0 endpoints: each exposes a few cmdlets with a few parameters
# (learn.microsoft.com/exchange/reference/admin-api-endpoints-mailbox).
V2_ENDPOINTS: dict[str, dict[str, tuple[Cmdlet, frozenset[str]]]] = {
    "mailbox": {
        "get-mailbox": (
            get_mailbox,
            frozenset({"identity", "resultsize", "includegrantsendonbehalftowithdisplaynames"}),
        ),
    },
}
