"""The upload URL of an attachment upload session (Outlook's ``/api/v2.0/...AttachmentSessions``).

From "Attach large files to Outlook messages or events" (learn.microsoft.com/graph/
outlook-large-attachments), steps 2 and 3:

* the URL is pre-authenticated (``authtoken`` in the query) until ``expirationDateTime``, and
  the client must not send an ``Authorization`` header — the emulator refuses one (401);
* each PUT carries ``Content-Length``, ``Content-Range: bytes {start}-{end}/{total}`` and
  ``Content-Type: application/octet-stream``, all required; bytes must come in order
  ("You must upload bytes in a file in order") — a range not starting at the next expected
  byte is refused (416), as is a total other than the session's size (400);
* "keep each byte range less than 4 MB": taken strictly, a larger range is refused (413);
* a PUT that is not the last answers 200 with ``nextExpectedRanges`` (the next byte); the last
  answers 201 with a ``Location`` header naming the new attachment, which is then on the item;
* ``DELETE`` of the URL ends the session (204);
* after expiry the URL answers 404 (Microsoft documents no answer; a dead session is gone).
"""

from __future__ import annotations

import re

from aiohttp import web

from emulator.appkeys import STATE
from emulator.graph import attachments as graph_attachments
from emulator.graph import exchange_rules as rules
from emulator.state import EmulatorState, UploadSession

MAX_RANGE_BYTES = 4 * 1024 * 1024
_SESSION = re.compile(r"/AttachmentSessions\('([^']+)'\)$", re.IGNORECASE)
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _session(request: web.Request) -> UploadSession | web.Response:
    state = request.app[STATE]
    found = _SESSION.search(request.path)
    session = state.uploads.get(found.group(1)) if found else None
    if session is None or request.query.get("authtoken") != session.token:
        return _error(404, "ErrorItemNotFound", "The upload session was not found.")
    if request.headers.get("Authorization"):
        return _error(
            401,
            "InvalidAudience",
            "The upload URL is pre-authenticated; send no Authorization header.",
        )
    if state.tokens.now() >= session.expires:
        del state.uploads[session.id]
        return _error(404, "ErrorItemNotFound", "The upload session has expired.")
    return session


def _progress(state: EmulatorState, session: UploadSession) -> web.Response:
    context = f"{graph_attachments.item_path(state, session)}/AttachmentSessions/$entity"
    return web.json_response(
        {
            "@odata.context": context,
            "expirationDateTime": rules.time_text(session.expires),
            "nextExpectedRanges": [str(len(session.received))],
        }
    )


async def put_range(request: web.Request) -> web.Response:
    state = request.app[STATE]
    found = _session(request)
    if isinstance(found, web.Response):
        return found
    session = found
    if request.headers.get("Content-Type", "").split(";")[0].strip() != "application/octet-stream":
        return _error(400, "ErrorInvalidRequest", "Content-Type must be application/octet-stream.")
    match = _RANGE.match(request.headers.get("Content-Range", "").strip())
    if match is None:
        return _error(
            400, "ErrorInvalidRequest", "Content-Range must be 'bytes {start}-{end}/{total}'."
        )
    start, end, total = (int(g) for g in match.groups())
    body = await request.read()
    if total != session.size:
        return _error(
            400, "ErrorInvalidRequest", f"The total must be the session's size, {session.size}."
        )
    if end < start or end - start + 1 != len(body) or end >= total:
        return _error(400, "ErrorInvalidRequest", "The range does not match the bytes sent.")
    if len(body) > MAX_RANGE_BYTES:
        return _error(413, "RequestEntityTooLarge", "A range may carry at most 4 MB.")
    if start != len(session.received):
        return _error(
            416,
            "ErrorInvalidRequest",
            f"Bytes must come in order; the next expected byte is {len(session.received)}.",
        )
    session.received.extend(body)
    if len(session.received) < session.size:
        return _progress(state, session)
    found_item = state.mail.find(session.mailbox_id, session.message_id)
    del state.uploads[session.id]
    if found_item is None:
        return _error(404, "ErrorItemNotFound", "The message was not found.")
    record = graph_attachments.attachment_record(
        session.name, session.content_type, bytes(session.received), is_inline=session.is_inline
    )
    graph_attachments.attach(found_item[1], record)
    location = f"{graph_attachments.item_path(state, session)}/Attachments('{record['id']}')"
    return web.Response(status=201, headers={"Location": location})


async def delete_session(request: web.Request) -> web.Response:
    found = _session(request)
    if isinstance(found, web.Response):
        return found
    del request.app[STATE].uploads[found.id]
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_put("/api/v2.0/{tail:.*}", put_range)
    app.router.add_delete("/api/v2.0/{tail:.*}", delete_session)
