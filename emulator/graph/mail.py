"""Mail endpoints: sendMail (both forms), drafts, draft send, message reads and deletes,
folder listings. What happens after a 202 is ``emulator/graph/transport.py``."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

from emulator.envelopes import MSG_ITEM_NOT_FOUND, GraphFailure, new_message_id
from emulator.graph import attachments, transport
from emulator.graph import exchange_rules as rules
from emulator.graph.core import GraphCall, GraphReply, GraphService, Params
from emulator.graph.odata import int_option, parse_filter, select, select_fields
from emulator.seed import Account
from emulator.state import EmulatorState

Json = dict[str, Any]
CONTEXT = "https://graph.microsoft.com/v1.0/$metadata"
WELL_KNOWN_FOLDERS = {
    "inbox": "inbox",
    "sentitems": "sentitems",
    "drafts": "drafts",
    "deleteditems": "deleteditems",
}
# Properties Graph leaves out of a message unless $select / $expand asks for them.
_HIDDEN = ("internetMessageHeaders", "singleValueExtendedProperties", "attachments")
_NOT_BASIC = ("body", "bodyPreview", "uniqueBody", "attachments")


def _message_payload(call: GraphCall) -> Json:
    payload = call.json()
    if not isinstance(payload, dict):
        raise GraphFailure(400, "BadRequest", "The request body must be a JSON object.")
    return payload


def _authorize(svc: GraphService, call: GraphCall, mailbox: Account, access: rules.Access) -> None:
    rules.authorize_mailbox(svc.state.tenant, call.principal, mailbox, access)


async def send_mail(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    _authorize(svc, call, mailbox, "send")
    payload = _message_payload(call)
    raw = payload.get("message")
    if not isinstance(raw, dict):
        raise GraphFailure(
            400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty."
        )
    save = payload.get("saveToSentItems", True)
    # Graph's own example sends "false" as a string (learn.microsoft.com/graph/api/user-sendmail).
    if isinstance(save, str) and save.lower() in ("true", "false"):
        save = save.lower() == "true"
    if not isinstance(save, bool):
        raise GraphFailure(400, "BadRequest", "saveToSentItems must be a boolean.")
    state = svc.state
    rules.validate_for_send(state.limits, raw, len(call.body))
    identity = rules.resolve_from(
        state.tenant, rules.actor_of(call.principal, mailbox), mailbox, raw
    )
    # Step 1 of Microsoft's account: a new message in the sender's Drafts, then 202.
    message = {**rules.normalized_message(state.tenant, raw), "parentFolderId": "drafts"}
    state.mail.put(mailbox.id, "drafts", message)
    transport.submit(state, mailbox, message, identity, save_to_sent_items=save)
    return GraphReply(202)


async def create_draft(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    _authorize(svc, call, mailbox, "write")
    raw = _message_payload(call)
    rules.validate_headers(raw)
    rules.validate_size(svc.state.limits, len(call.body))
    message = rules.normalized_message(svc.state.tenant, raw)
    message["parentFolderId"] = "drafts"
    svc.state.mail.put(mailbox.id, "drafts", message)
    body = {
        "@odata.context": f"{CONTEXT}#users('{mailbox.id}')/messages/$entity",
        **_visible(message, None, None, full=True),
    }
    return GraphReply(201, body)


def _find(svc: GraphService, mailbox: Account, message_id: str) -> tuple[str, Json]:
    found = svc.state.mail.find(mailbox.id, message_id)
    if found is None:
        raise GraphFailure(404, "ErrorItemNotFound", MSG_ITEM_NOT_FOUND)
    return found


async def send_draft(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    _authorize(svc, call, mailbox, "send")
    state = svc.state
    folder, draft = _find(svc, mailbox, params["message"])
    if transport.is_submitted(state, mailbox, draft["id"]):
        # Already accepted, waiting for transport: refused, and the answer says no more.
        raise GraphFailure(404, "ErrorItemNotFound", MSG_ITEM_NOT_FOUND)
    if folder != "drafts" or not draft.get("isDraft"):
        raise GraphFailure(
            400, "ErrorInvalidOperation", "Only messages in the Drafts folder can be sent."
        )
    rules.validate_for_send(state.limits, draft, attachments.message_size(draft), posted=False)
    identity = rules.resolve_from(
        state.tenant, rules.actor_of(call.principal, mailbox), mailbox, draft
    )
    transport.submit(state, mailbox, draft, identity, save_to_sent_items=True)
    return GraphReply(202)


async def delete_message(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    """``DELETE /messages/{id}``: into Deleted Items (a new item id), or gone from there."""
    mailbox = svc.target(call, params["user"], mailbox=True)
    _authorize(svc, call, mailbox, "write")
    folder, message = _find(svc, mailbox, params["message"])
    move_to_deleted_items(svc.state, mailbox, folder, message)
    return GraphReply(204)


def move_to_deleted_items(
    state: EmulatorState, mailbox: Account, folder: str, message: Json
) -> None:
    state.mail.remove(mailbox.id, folder, message["id"])
    if folder != "deleteditems":
        moved = {**message, "id": new_message_id(), "parentFolderId": "deleteditems"}
        state.mail.put(mailbox.id, "deleteditems", moved)


def _expand_filter(expand: str | None) -> Any:
    """``singleValueExtendedProperties($filter=id eq '...')`` → a predicate on entries."""
    if not expand:
        return None
    name, _, rest = expand.partition("(")
    if name.strip().lower() != "singlevalueextendedproperties":
        raise GraphFailure(400, "BadRequest", f"Parsing OData Select and Expand failed: {expand}")
    inner = rest.rstrip(")").strip()
    if not inner:
        return lambda _entry: True
    key, _, text = inner.partition("=")
    if key.strip().lower() != "$filter":
        raise GraphFailure(400, "BadRequest", f"Parsing OData Select and Expand failed: {expand}")
    return parse_filter(text)


def _visible(message: Json, fields: list[str] | None, expand: Any, *, full: bool) -> Json:
    item = copy.deepcopy(message)
    item["@odata.etag"] = f'W/"{message["changeKey"]}"'
    ext = item.pop("singleValueExtendedProperties", [])
    if fields:
        item = select(item, fields)
    else:
        for hidden in _HIDDEN:
            item.pop(hidden, None)
    if not full:  # Mail.ReadBasic*: "except for body, bodyPreview, uniqueBody, attachments"
        for hidden in _NOT_BASIC:
            item.pop(hidden, None)
    if expand is not None:
        chosen = [e for e in ext if expand(e)]
        if chosen:
            item["singleValueExtendedProperties"] = chosen
    return item


def _authorize_read(svc: GraphService, call: GraphCall, mailbox: Account) -> bool:
    """Check read access (extended properties need more than ``Mail.ReadBasic*``); True
    when the caller may see whole items."""
    query = call.query
    extended = "singlevalueextendedproperties" in (
        f"{query.get('$filter', '')} {query.get('$expand', '')}".lower()
    )
    _authorize(svc, call, mailbox, "read_extended" if extended else "read")
    return rules.reads_full_items(svc.state.tenant, call.principal, mailbox)


async def get_message(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    full = _authorize_read(svc, call, mailbox)
    _folder, message = _find(svc, mailbox, params["message"])
    expand = _expand_filter(call.query.get("$expand"))
    body = _visible(message, select_fields(call.query), expand, full=full)
    return GraphReply(200, {"@odata.context": f"{CONTEXT}#users/messages/$entity", **body})


async def list_messages(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    full = _authorize_read(svc, call, mailbox)
    folder_name = params.get("folder")
    if folder_name is None:
        messages = [m for f in WELL_KNOWN_FOLDERS for m in svc.state.mail.folder(mailbox.id, f)]
    else:
        folder = WELL_KNOWN_FOLDERS.get(folder_name.lower())
        if folder is None:
            raise GraphFailure(404, "ErrorItemNotFound", MSG_ITEM_NOT_FOUND)
        messages = list(svc.state.mail.folder(mailbox.id, folder))
    query = call.query
    if query.get("$filter"):
        predicate = parse_filter(query["$filter"])
        messages = [m for m in messages if predicate(m)]
    order = (query.get("$orderby") or "receivedDateTime desc").split()
    key_name = order[0]
    descending = len(order) > 1 and order[1].lower() == "desc"
    messages.sort(key=lambda m: str(m.get(key_name) or ""), reverse=descending)
    top = int_option(query, "$top", 10, 1000)
    skip = int_option(query, "$skip", 0, 1_000_000)
    page = messages[skip : skip + top]
    fields = select_fields(query)
    expand = _expand_filter(query.get("$expand"))
    body: Json = {
        "@odata.context": f"{CONTEXT}#users('{mailbox.id}')/messages",
        "value": [_visible(m, fields, expand, full=full) for m in page],
    }
    if skip + top < len(messages):
        next_query = {**query, "$skip": str(skip + top)}
        body["@odata.nextLink"] = f"{svc.state.base_url}/v1.0{call.path}?{urlencode(next_query)}"
    return GraphReply(200, body)


def register(svc: GraphService) -> None:
    svc.add("POST", "/users/{user}/sendMail", send_mail, outlook=True)
    svc.add("POST", "/users/{user}/messages", create_draft, outlook=True)
    svc.add("GET", "/users/{user}/messages", list_messages, outlook=True)
    svc.add("GET", "/users/{user}/messages/{message}", get_message, outlook=True)
    svc.add("DELETE", "/users/{user}/messages/{message}", delete_message, outlook=True)
    svc.add("POST", "/users/{user}/messages/{message}/send", send_draft, outlook=True)
    svc.add("GET", "/users/{user}/mailFolders/{folder}/messages", list_messages, outlook=True)
