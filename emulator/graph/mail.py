"""Mail endpoints: sendMail (both forms), drafts, draft send, message reads, folder listings."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

from emulator.envelopes import MSG_ITEM_NOT_FOUND, GraphFailure
from emulator.graph import exchange_rules as rules
from emulator.graph.core import GraphCall, GraphReply, GraphService, Params
from emulator.graph.odata import int_option, parse_filter, select, select_fields
from emulator.seed import Account

Json = dict[str, Any]
CONTEXT = "https://graph.microsoft.com/v1.0/$metadata"
WELL_KNOWN_FOLDERS = {"inbox": "inbox", "sentitems": "sentitems", "drafts": "drafts"}
# Properties Graph leaves out of a message unless $select / $expand asks for them.
_HIDDEN = ("internetMessageHeaders", "singleValueExtendedProperties", "attachments")


def _message_payload(call: GraphCall) -> Json:
    payload = call.json()
    if not isinstance(payload, dict):
        raise GraphFailure(400, "BadRequest", "The request body must be a JSON object.")
    return payload


def _send(
    svc: GraphService,
    call: GraphCall,
    mailbox: Account,
    raw_message: Json,
    *,
    save_to_sent_items: bool,
) -> Json:
    state = svc.state
    rules.validate_for_send(state.limits, raw_message, len(call.body))
    actor = rules.actor_of(call.principal, mailbox)
    identity = rules.resolve_from(state.tenant, actor, mailbox, raw_message)
    state.throttle.record_send(mailbox.id)
    message = rules.normalized_message(state.tenant, raw_message)
    return rules.deliver(state, message, identity, mailbox, save_to_sent_items=save_to_sent_items)


def _authorize_send(svc: GraphService, call: GraphCall, mailbox: Account) -> None:
    rules.authorize_mailbox(svc.state.tenant, call.principal, mailbox, "send")


async def send_mail(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    _authorize_send(svc, call, mailbox)
    payload = _message_payload(call)
    message = payload.get("message")
    if not isinstance(message, dict):
        raise GraphFailure(
            400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty."
        )
    save = payload.get("saveToSentItems", True)
    # Graph's own example sends "false" as a string (learn.microsoft.com/graph/api/user-sendmail).
    if isinstance(save, str) and save.lower() in ("true", "false"):
        save = save.lower() == "true"
    if not isinstance(save, bool):
        raise GraphFailure(400, "BadRequest", "saveToSentItems must be a boolean.")
    _send(svc, call, mailbox, message, save_to_sent_items=save)
    return GraphReply(202)


async def create_draft(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    rules.authorize_mailbox(svc.state.tenant, call.principal, mailbox, "write")
    raw = _message_payload(call)
    rules.validate_headers(raw)
    rules.validate_size(svc.state.limits, len(call.body))
    message = rules.normalized_message(svc.state.tenant, raw)
    message["parentFolderId"] = "drafts"
    svc.state.mail.put(mailbox.id, "drafts", message)
    body = {
        "@odata.context": f"{CONTEXT}#users('{mailbox.id}')/messages/$entity",
        **_visible(message, None, None),
    }
    return GraphReply(201, body)


def _find(svc: GraphService, mailbox: Account, message_id: str) -> tuple[str, Json]:
    found = svc.state.mail.find(mailbox.id, message_id)
    if found is None:
        raise GraphFailure(404, "ErrorItemNotFound", MSG_ITEM_NOT_FOUND)
    return found


async def send_draft(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    _authorize_send(svc, call, mailbox)
    folder, draft = _find(svc, mailbox, params["message"])
    if folder != "drafts" or not draft.get("isDraft"):
        raise GraphFailure(
            400, "ErrorInvalidOperation", "Only messages in the Drafts folder can be sent."
        )
    state = svc.state
    size = len(str(draft))
    rules.validate_for_send(state.limits, draft, size)
    actor = rules.actor_of(call.principal, mailbox)
    identity = rules.resolve_from(state.tenant, actor, mailbox, draft)
    state.throttle.record_send(mailbox.id)
    state.mail.remove(mailbox.id, "drafts", draft["id"])
    rules.deliver(state, draft, identity, mailbox, save_to_sent_items=True)
    return GraphReply(202)


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


def _visible(message: Json, fields: list[str] | None, expand: Any) -> Json:
    item = copy.deepcopy(message)
    item["@odata.etag"] = f'W/"{message["changeKey"]}"'
    ext = item.pop("singleValueExtendedProperties", [])
    if fields:
        item = select(item, fields)
    else:
        for hidden in _HIDDEN:
            item.pop(hidden, None)
    if expand is not None:
        chosen = [e for e in ext if expand(e)]
        if chosen:
            item["singleValueExtendedProperties"] = chosen
    return item


def _authorize_read(svc: GraphService, call: GraphCall, mailbox: Account) -> None:
    rules.authorize_mailbox(svc.state.tenant, call.principal, mailbox, "read")


async def get_message(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    _authorize_read(svc, call, mailbox)
    _folder, message = _find(svc, mailbox, params["message"])
    expand = _expand_filter(call.query.get("$expand"))
    body = _visible(message, select_fields(call.query), expand)
    return GraphReply(200, {"@odata.context": f"{CONTEXT}#users/messages/$entity", **body})


async def list_messages(svc: GraphService, call: GraphCall, params: Params) -> GraphReply:
    mailbox = svc.target(call, params["user"], mailbox=True)
    _authorize_read(svc, call, mailbox)
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
        "value": [_visible(m, fields, expand) for m in page],
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
    svc.add("POST", "/users/{user}/messages/{message}/send", send_draft, outlook=True)
    svc.add("GET", "/users/{user}/mailFolders/{folder}/messages", list_messages, outlook=True)
