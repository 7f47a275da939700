"""Exchange's rules for sending, as Graph exposes them.

* Mailbox access: app-only needs the permission (``Mail.Send`` to send, ``Mail.ReadWrite`` to
  write, ``Mail.Read``/``Mail.ReadWrite``/``Mail.ReadBasic.All`` to read) from Entra (the
  token's ``roles``, every mailbox) or from an RBAC for Applications role assignment whose
  scope holds the mailbox in the URL (``emulator/rbac.py``); delegated needs ``Mail.Send``
  (own mailbox) or ``Mail.Send.Shared`` plus **Full Access** (any other mailbox), and the
  matching ``Mail.ReadWrite[.Shared]`` / ``Mail.Read[.Shared]`` to write or read. Failing → 403
  ``ErrorAccessDenied``.
* Extended properties: ``Mail.ReadBasic*`` reads everything "except for body, bodyPreview,
  uniqueBody, attachments, extensions, and any extended properties" (Microsoft's permission
  text); a filter or ``$expand`` on ``singleValueExtendedProperties`` needs ``Mail.Read`` or
  ``Mail.ReadWrite`` (Graph "Get singleValueLegacyExtendedProperty": least privilege
  ``Mail.Read``).
* ``from``: the *actor* (the signed-in user; for app-only the mailbox in the URL) must be the
  from mailbox, or hold Send As (``sender`` = ``from``) or Send on Behalf (``sender`` = the
  actor) on it. Failing → 403 ``ErrorSendAsDenied``.
* Sent Items: the copy lands in the mailbox the request addressed (``/me`` → the user's).
* Delivery: each tenant recipient with a mailbox gets an Inbox copy (no Bcc line); every other
  recipient is recorded in the external deliveries (``kind`` ``external`` or, for an unknown
  address in the tenant's own domain, ``undeliverable``).
"""

from __future__ import annotations

import copy
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from emulator.envelopes import (
    MSG_ACCESS_DENIED,
    MSG_SEND_AS_DENIED,
    GraphFailure,
    new_message_id,
)
from emulator.rbac import app_permissions
from emulator.seed import Account, Tenant
from emulator.state import EmulatorState, Limits
from emulator.tokens import Principal

Json = dict[str, Any]
Access = Literal["send", "write", "read", "read_extended"]

_ADDRESS = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
RECIPIENT_FIELDS = ("toRecipients", "ccRecipients", "bccRecipients")

_APP_ROLES: dict[Access, frozenset[str]] = {
    "send": frozenset({"Mail.Send"}),
    "write": frozenset({"Mail.ReadWrite"}),
    "read": frozenset({"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic.All"}),
    "read_extended": frozenset({"Mail.Read", "Mail.ReadWrite"}),
}
_OWN_SCOPES: dict[Access, frozenset[str]] = {
    "send": frozenset({"Mail.Send"}),
    "write": frozenset({"Mail.ReadWrite"}),
    "read": frozenset({"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic"}),
    "read_extended": frozenset({"Mail.Read", "Mail.ReadWrite"}),
}
_SHARED_SCOPES: dict[Access, frozenset[str]] = {
    "send": frozenset({"Mail.Send.Shared"}),
    "write": frozenset({"Mail.ReadWrite.Shared"}),
    "read": frozenset({"Mail.Read.Shared", "Mail.ReadWrite.Shared", "Mail.ReadBasic.Shared"}),
    "read_extended": frozenset({"Mail.Read.Shared", "Mail.ReadWrite.Shared"}),
}
_FULL_READ = frozenset({"Mail.Read", "Mail.ReadWrite", "Mail.Read.Shared", "Mail.ReadWrite.Shared"})


def _access_denied() -> GraphFailure:
    return GraphFailure(403, "ErrorAccessDenied", MSG_ACCESS_DENIED)


def has_full_access(user: Account, mailbox: Account) -> bool:
    return user.id == mailbox.id or user.id in mailbox.full_access


def granted(tenant: Tenant, principal: Principal, mailbox: Account) -> frozenset[str]:
    """The mail permissions the caller holds on ``mailbox``: for an app its Entra roles plus
    its RBAC grants there; for a user the delegated scopes (Full Access checked apart)."""
    if principal.user is None:
        return app_permissions(tenant, principal.app_id, principal.roles, mailbox)
    return principal.scopes


def authorize_mailbox(
    tenant: Tenant, principal: Principal, mailbox: Account, access: Access
) -> None:
    held = granted(tenant, principal, mailbox)
    if principal.user is None:
        if not held & _APP_ROLES[access]:
            raise _access_denied()
        return
    user = principal.user
    if user.id == mailbox.id:
        if not held & _OWN_SCOPES[access]:
            raise _access_denied()
        return
    if not held & _SHARED_SCOPES[access]:
        raise _access_denied()
    if not has_full_access(user, mailbox):
        raise _access_denied()


def reads_full_items(tenant: Tenant, principal: Principal, mailbox: Account) -> bool:
    """False when the caller reads with ``Mail.ReadBasic*`` only (no bodies, no attachments)."""
    return bool(granted(tenant, principal, mailbox) & _FULL_READ)


def actor_of(principal: Principal, mailbox: Account) -> Account:
    return principal.user if principal.user is not None else mailbox


@dataclass(frozen=True)
class Identity:
    """``from`` and ``sender`` as Exchange stamps them."""

    from_account: Account
    sender: Account


def resolve_from(tenant: Tenant, actor: Account, mailbox: Account, message: Json) -> Identity:
    address = _email_of(message.get("from"))
    if address is None:
        owner = mailbox
    else:
        found = tenant.account(address)
        if found is None or not found.has_mailbox:
            raise GraphFailure(403, "ErrorSendAsDenied", MSG_SEND_AS_DENIED)
        owner = found
    if owner.id == actor.id:
        return Identity(owner, owner)
    if tenant.holds(actor.id, owner.send_as):
        return Identity(owner, owner)
    if tenant.holds(actor.id, owner.send_on_behalf):
        return Identity(owner, actor)
    raise GraphFailure(403, "ErrorSendAsDenied", MSG_SEND_AS_DENIED)


def _email_of(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    inner = value.get("emailAddress")
    if not isinstance(inner, dict):
        return None
    address = inner.get("address")
    return address.strip() if isinstance(address, str) and address.strip() else None


MAX_HEADERS = 5
MAX_REQUEST_BYTES = 4 * 1024 * 1024


def validate_headers(message: Json) -> None:
    """Graph takes 1 to 5 ``internetMessageHeaders``, each named ``x-...``. An empty
    collection is refused too (msgraph-sdk-dotnet issue 2208: "the number of internet message
    headers is invalid (should be less or equal to 5)"); leaving the property out is fine."""
    headers = message.get("internetMessageHeaders")
    if headers is None:
        return
    if not isinstance(headers, list):
        raise GraphFailure(400, "RequestBodyRead", "internetMessageHeaders must be a collection.")
    if not 0 < len(headers) <= MAX_HEADERS:
        raise GraphFailure(
            400,
            "InvalidInternetMessageHeaderCollection",
            f"The number of internet message headers is invalid ({len(headers)}); it must be "
            f"between 1 and {MAX_HEADERS}.",
        )
    for header in headers:
        name = header.get("name") if isinstance(header, dict) else None
        if not isinstance(name, str) or not name.lower().startswith("x-"):
            raise GraphFailure(
                400,
                "InvalidInternetMessageHeader",
                f"The internet message header name '{name}' should start with 'x-' or 'X-'.",
            )


def validate_size(limits: Limits, size: int) -> None:
    if size > limits.max_message_bytes:
        raise GraphFailure(
            400,
            "ErrorMessageSizeExceeded",
            f"The message exceeds the maximum supported size of {limits.max_message_bytes} bytes.",
        )


def recipients(message: Json) -> list[str]:
    """Every recipient address (To, Cc, Bcc), validated: Graph's 400s when malformed."""
    found: list[str] = []
    for field_name in RECIPIENT_FIELDS:
        entries = message.get(field_name) or []
        if not isinstance(entries, list):
            raise GraphFailure(400, "RequestBodyRead", f"{field_name} must be a collection.")
        for entry in entries:
            address = _email_of(entry)
            if address is None or not _ADDRESS.match(address):
                raise GraphFailure(
                    400,
                    "ErrorInvalidRecipients",
                    f"At least one recipient isn't valid., Recipient '{address or ''}' isn't "
                    "resolved. All recipients must be resolved before a message can be submitted.",
                )
            found.append(address)
    if not found:
        raise GraphFailure(
            400,
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid., A message can't be sent because it contains "
            "no recipients.",
        )
    return found


def validate_for_send(
    limits: Limits, message: Json, size: int, *, posted: bool = True
) -> list[str]:
    """The checks of a send; ``posted`` False for a stored draft (its headers were checked
    when it was created)."""
    if posted:
        validate_headers(message)
    validate_size(limits, size)
    addresses = recipients(message)
    if len(addresses) > limits.max_recipients:
        raise GraphFailure(
            400,
            "ErrorTooManyRecipients",
            f"The message has {len(addresses)} recipients; the limit is "
            f"{limits.max_recipients} recipients per message.",
        )
    return addresses


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_text() -> str:
    return _now()


def time_text(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _address_json(tenant: Tenant, entry: Any) -> Json:
    address = _email_of(entry) or ""
    name = None
    if isinstance(entry, dict) and isinstance(entry.get("emailAddress"), dict):
        name = entry["emailAddress"].get("name")
    account = tenant.account(address)
    if not name:
        name = account.display_name if account is not None else address
    return {"emailAddress": {"name": name, "address": address}}


def _who(account: Account) -> Json:
    return {"emailAddress": {"name": account.display_name, "address": account.upn}}


def normalized_message(tenant: Tenant, raw: Json) -> Json:
    """A stored message built from what the client posted (draft or send)."""
    body = raw.get("body") if isinstance(raw.get("body"), dict) else {}
    content = str(body.get("content", "")) if body else ""
    content_type = str(body.get("contentType", "text")).lower() if body else "text"
    now = _now()
    message: Json = {
        "id": new_message_id(),
        "createdDateTime": now,
        "lastModifiedDateTime": now,
        "changeKey": secrets.token_urlsafe(12),
        "categories": list(raw.get("categories") or []),
        "receivedDateTime": now,
        "sentDateTime": None,
        "hasAttachments": bool(raw.get("attachments")),
        "internetMessageId": None,
        "subject": raw.get("subject") or "",
        "bodyPreview": re.sub(r"<[^>]+>", "", content)[:255],
        "importance": str(raw.get("importance") or "normal").lower(),
        "parentFolderId": None,
        "conversationId": "AAQkAD" + secrets.token_urlsafe(24),
        "isDeliveryReceiptRequested": bool(raw.get("isDeliveryReceiptRequested", False)),
        "isReadReceiptRequested": bool(raw.get("isReadReceiptRequested", False)),
        "isRead": True,
        "isDraft": True,
        "body": {"contentType": "html" if content_type == "html" else "text", "content": content},
        "sender": None,
        "from": _address_json(tenant, raw["from"]) if isinstance(raw.get("from"), dict) else None,
        "toRecipients": [_address_json(tenant, r) for r in raw.get("toRecipients") or []],
        "ccRecipients": [_address_json(tenant, r) for r in raw.get("ccRecipients") or []],
        "bccRecipients": [_address_json(tenant, r) for r in raw.get("bccRecipients") or []],
        "replyTo": [_address_json(tenant, r) for r in raw.get("replyTo") or []],
        "internetMessageHeaders": copy.deepcopy(raw.get("internetMessageHeaders") or []),
        "singleValueExtendedProperties": copy.deepcopy(
            raw.get("singleValueExtendedProperties") or []
        ),
        "attachments": [
            {
                "@odata.type": a.get("@odata.type", "#microsoft.graph.fileAttachment"),
                "id": str(uuid.uuid4()),
                "name": a.get("name"),
                "contentType": a.get("contentType"),
                "size": len(str(a.get("contentBytes", ""))) * 3 // 4,
                "isInline": bool(a.get("isInline", False)),
                "contentBytes": a.get("contentBytes"),
            }
            for a in raw.get("attachments") or []
            if isinstance(a, dict)
        ],
    }
    return message


def stamped(tenant: Tenant, message: Json, identity: Identity) -> Json:
    """The message as transport sends it: ``from``/``sender`` stamped, no longer a draft."""
    now = _now()
    sent = copy.deepcopy(message)
    sent.update(
        {
            "from": _who(identity.from_account),
            "sender": _who(identity.sender),
            "sentDateTime": now,
            "receivedDateTime": now,
            "lastModifiedDateTime": now,
            "isDraft": False,
            "internetMessageId": f"<{secrets.token_hex(16)}@{tenant.domain}>",
        }
    )
    return sent


def deliver_to_recipients(state: EmulatorState, message: Json) -> None:
    """An Inbox copy for each tenant recipient with a mailbox (no Bcc line); every other
    address is recorded in the external deliveries."""
    tenant = state.tenant
    now = _now()
    # One snapshot for every outside delivery, without the (possibly 500-long) recipient lists.
    outside_copy = {k: v for k, v in message.items() if k not in RECIPIENT_FIELDS}
    seen: set[str] = set()
    for field_name in RECIPIENT_FIELDS:
        for entry in message.get(field_name, []):
            address = entry["emailAddress"]["address"].lower()
            if address in seen:
                continue
            seen.add(address)
            account = tenant.account(address)
            if account is not None and account.has_mailbox:
                copy_ = {
                    **copy.deepcopy(message),
                    "id": new_message_id(),
                    "bccRecipients": [],
                    "isRead": False,
                    "receivedDateTime": now,
                    "parentFolderId": "inbox",
                }
                state.mail.put(account.id, "inbox", copy_)
                continue
            internal = tenant.is_internal_address(address)
            state.mail.external.append(
                {
                    "recipient": address,
                    "kind": "undeliverable" if internal else "external",
                    "field": field_name,
                    "deliveredDateTime": now,
                    "message": outside_copy,
                }
            )
