"""Attachments on a draft: a small file in one POST, a large one through an upload session.

Microsoft's account ("Attach large files to Outlook messages or events",
learn.microsoft.com/graph/outlook-large-attachments; "attachment: createUploadSession",
learn.microsoft.com/graph/api/attachment-createuploadsession):

* under 3 MB: ``POST /messages/{id}/attachments`` with a ``fileAttachment``; between 3 MB and
  150 MB: ``POST /messages/{id}/attachments/createUploadSession`` with an ``AttachmentItem``
  (``attachmentType``, ``name``, ``size``) → 201 and an ``uploadSession`` (``uploadUrl``,
  ``expirationDateTime``, ``nextExpectedRanges: ["0-"]``); the ranged PUTs to that URL are
  ``emulator/upload_sessions.py``;
* a session for a file under 3 MB is refused with
  ``ErrorAttachmentSizeShouldNotBeLessThanMinimumSize`` (microsoft-graph-docs pull request 7044,
  the "Errors" section it added);
* the message, attachments included, is held to the mailbox's message size limit, 35 MB by
  default; beyond it Graph answers ``ErrorMessageSizeExceeded`` "The message exceeds the maximum
  supported size." (microsoft-graph-docs-contrib issue 2561). The emulator refuses as soon as the
  declared size would pass the limit — the stricter of the two moments.

Where Microsoft is silent the stricter reading is taken: attachments are added to drafts only
(not to a message already handed to transport), and an inline POST carries at most 3 MB.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from emulator.envelopes import MSG_ITEM_NOT_FOUND, GraphFailure
from emulator.graph import exchange_rules as rules
from emulator.graph import transport
from emulator.graph.core import GraphCall, GraphReply, GraphService, Params
from emulator.graph.odata import select, select_fields
from emulator.seed import Account
from emulator.state import EmulatorState, UploadSession

Json = dict[str, Any]
CONTEXT = "https://graph.microsoft.com/v1.0/$metadata"
MB = 1024 * 1024
MAX_INLINE_BYTES = 3 * MB
"""A file of 3 MB or more goes through an upload session."""
MAX_SESSION_BYTES = 150 * MB
FILE_TYPE = "#microsoft.graph.fileAttachment"


def message_size(message: Json) -> int:
    """The size Exchange holds against the limit: the item with its attachments as encoded."""
    return len(json.dumps(message, default=str))


def attachment_record(name: str, content_type: str, data: bytes, *, is_inline: bool) -> Json:
    return {
        "@odata.type": FILE_TYPE,
        "id": "AAMkAD" + secrets.token_urlsafe(32),
        "lastModifiedDateTime": rules.now_text(),
        "name": name,
        "contentType": content_type,
        "size": len(data),
        "isInline": is_inline,
        "contentBytes": base64.b64encode(data).decode("ascii"),
    }


def _draft(svc: GraphService, call: GraphCall, params: Params) -> tuple[Account, Json]:
    mailbox = svc.target(call, params["user"], mailbox=True)
    rules.authorize_mailbox(svc.state.tenant, call.principal, mailbox, "write")
    found = svc.state.mail.find(mailbox.id, params["message"])
    if found is None or transport.is_submitted(svc.state, mailbox, params["message"]):
        raise GraphFailure(404, "ErrorItemNotFound", MSG_ITEM_NOT_FOUND)
    folder, message = found
    if folder != "drafts" or not message.get("isDraft"):
        raise GraphFailure(
            400, "ErrorInvalidOperation", "Attachments can be added to draft messages only."
        )
    return mailbox, message


def check_room(state: EmulatorState, message: Json, extra_bytes: int) -> None:
    """Refuse when the message with ``extra_bytes`` more (base64 grows by a third) passes the
    limit."""
    encoded = (extra_bytes + 2) // 3 * 4
    if message_size(message) + encoded > state.limits.max_message_bytes:
        raise GraphFailure(
            400, "ErrorMessageSizeExceeded", "The message exceeds the maximum supported size."
        )


def attach(message: Json, record: Json) -> None:
    message.setdefault("attachments", []).append(record)
    message["hasAttachments"] = True
    message["changeKey"] = secrets.token_urlsafe(12)
    message["lastModifiedDateTime"] = rules.now_text()


def _text(raw: Json, key: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise GraphFailure(400, "ErrorInvalidProperty", f"The property '{key}' is required.")
    return value


async def add_attachment(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    _mailbox, message = _draft(svc, call, params)
    raw = call.json()
    if not isinstance(raw, dict) or raw.get("@odata.type") != FILE_TYPE:
        raise GraphFailure(
            400, "ErrorInvalidProperty", f"The attachment's @odata.type must be {FILE_TYPE}."
        )
    name = _text(raw, "name") or ""
    encoded = _text(raw, "contentBytes") or ""
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise GraphFailure(
            400, "ErrorInvalidProperty", "contentBytes is not valid base64."
        ) from exc
    if len(data) >= MAX_INLINE_BYTES:
        raise GraphFailure(
            413,
            "RequestEntityTooLarge",
            "A file of 3 MB or more must be attached through an upload session.",
        )
    check_room(svc.state, message, len(data))
    content_type = _text(raw, "contentType", required=False) or "application/octet-stream"
    record = attachment_record(name, content_type, data, is_inline=bool(raw.get("isInline")))
    attach(message, record)
    context = f"{CONTEXT}#users('{params['user']}')/messages('{message['id']}')/attachments"
    return GraphReply(201, {"@odata.context": f"{context}/$entity", **record})


async def list_attachments(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    rules.authorize_mailbox(svc.state.tenant, call.principal, mailbox, "read")
    if not rules.reads_full_items(svc.state.tenant, call.principal, mailbox):
        raise GraphFailure(403, "ErrorAccessDenied", "Access is denied. Check credentials.")
    found = svc.state.mail.find(mailbox.id, params["message"])
    if found is None:
        raise GraphFailure(404, "ErrorItemNotFound", MSG_ITEM_NOT_FOUND)
    fields = select_fields(call.query)
    items = [
        select(dict(a), fields) if fields else dict(a) for a in found[1].get("attachments") or []
    ]
    context = f"{CONTEXT}#users('{params['user']}')/messages('{params['message']}')/attachments"
    return GraphReply(200, {"@odata.context": context, "value": items})


async def create_upload_session(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox, message = _draft(svc, call, params)
    payload = call.json()
    item = payload.get("AttachmentItem") if isinstance(payload, dict) else None
    if not isinstance(item, dict):
        raise GraphFailure(
            400, "ErrorInvalidParameter", "The value of the parameter 'AttachmentItem' is empty."
        )
    if item.get("attachmentType") != "file":
        raise GraphFailure(
            400, "ErrorInvalidParameter", "Only attachmentType 'file' can use an upload session."
        )
    name = _text(item, "name") or ""
    size = item.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise GraphFailure(400, "ErrorInvalidProperty", "The property 'size' is required.")
    if size < MAX_INLINE_BYTES:
        raise GraphFailure(
            400,
            "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
            "Attachment size should not be less than the minimum size of an upload session "
            "(3 MB); attach the file with a single POST instead.",
        )
    if size > MAX_SESSION_BYTES:
        raise GraphFailure(
            400, "ErrorAttachmentSizeShouldNotExceedMaximumSize", "The file is over 150 MB."
        )
    check_room(svc.state, message, size)
    state = svc.state
    session = UploadSession(
        id="AAMkAD" + secrets.token_urlsafe(24),
        token=secrets.token_urlsafe(32),
        mailbox_id=mailbox.id,
        message_id=message["id"],
        name=name,
        content_type=str(item.get("contentType") or "application/octet-stream"),
        is_inline=bool(item.get("isInline")),
        size=size,
        expires=state.tokens.now() + state.limits.upload_session_seconds,
    )
    state.uploads[session.id] = session
    return GraphReply(
        201,
        {
            "@odata.context": f"{CONTEXT}#microsoft.graph.uploadSession",
            "uploadUrl": upload_url(state, session),
            "expirationDateTime": rules.time_text(session.expires),
            "nextExpectedRanges": ["0-"],
        },
    )


def item_path(state: EmulatorState, session: UploadSession) -> str:
    return (
        f"{state.base_url}/api/v2.0/Users('{session.mailbox_id}@{state.tenant.id}')"
        f"/Messages('{session.message_id}')"
    )


def upload_url(state: EmulatorState, session: UploadSession) -> str:
    return (
        f"{item_path(state, session)}/AttachmentSessions('{session.id}')?authtoken={session.token}"
    )


def register(svc: GraphService) -> None:
    attachments = "/users/{user}/messages/{message}/attachments"
    svc.add("POST", attachments, add_attachment, outlook=True)
    svc.add("GET", attachments, list_attachments, outlook=True)
    svc.add("POST", attachments + "/createUploadSession", create_upload_session, outlook=True)
