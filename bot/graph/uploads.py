"""Putting a large file on a draft through an attachment upload session.

The session's ``uploadUrl`` is pre-authenticated and must be used as given, without an
``Authorization`` header (learn.microsoft.com/graph/outlook-large-attachments, step 2); it is a
secret while it lives, so only its path is ever logged. Bytes go in order, in ranges under
4 MB, each ``Content-Range: bytes {start}-{end}/{total}``; the last range is answered 201.

A failed range is not resumed here: the session is dropped and the file's upload counts as
not done (the draft has no attachment until the last range arrives). Whoever attaches looks
at the draft's attachments before trying again, so a last range whose answer was lost is not
uploaded twice.
"""

from __future__ import annotations

import logging

import httpx

from bot.domain.attachments import UPLOAD_RANGE
from bot.errors import GraphError, GraphTransportError
from bot.graph.envelope import error_from_answer
from bot.graph.outcome import Attached, AttachOutcome, MaybeSent, NotSent
from bot.graph.wire import Answer, attempt
from bot.netclient import Timeouts

logger = logging.getLogger(__name__)


async def upload_ranges(
    http: httpx.AsyncClient, upload_url: str, content: bytes, timeouts: Timeouts
) -> AttachOutcome:
    total = len(content)
    start = 0
    while start < total:
        chunk = content[start : start + UPLOAD_RANGE]
        end = start + len(chunk) - 1
        answer = await attempt(
            http,
            "PUT",
            upload_url,
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"bytes {start}-{end}/{total}",
            },
            content=chunk,
            http_timeouts=timeouts.for_attempt(timeouts.total),
            deadline_in=timeouts.total,
        )
        last = end == total - 1
        if not isinstance(answer, Answer):
            error = GraphTransportError(answer.sent, answer.reason)
            if last and answer.sent == "maybe":
                return MaybeSent(answer.reason, answer.client_request_id, 1)
            await _drop(http, upload_url, timeouts)
            return NotSent(error, 1)
        status = answer.response.status_code
        if status == 201 and last:
            location = answer.response.headers.get("Location", "")
            return Attached(_attachment_id(location))
        if status != 200 or last:
            failure = (
                error_from_answer(
                    status,
                    answer.response.headers,
                    answer.response.content,
                    sent_client_request_id=answer.client_request_id,
                )
                if status >= 400
                else GraphError(status, "UnexpectedUploadAnswer", "the upload did not complete")
            )
            logger.info("upload session range refused: %s %s", status, failure.code)
            await _drop(http, upload_url, timeouts)
            if status >= 500 and last:
                return MaybeSent(f"answered {status}", answer.client_request_id, 1, status=status)
            return NotSent(failure, 1)
        start = end + 1
    return NotSent(GraphTransportError("not", "nothing to upload"), 0)


def _attachment_id(location: str) -> str | None:
    marker = "/Attachments('"
    if marker not in location:
        return None
    return location.split(marker, 1)[1].split("'", 1)[0]


async def _drop(http: httpx.AsyncClient, upload_url: str, timeouts: Timeouts) -> None:
    """Best effort: end a session that will not be finished."""
    await attempt(
        http,
        "DELETE",
        upload_url,
        headers={},
        http_timeouts=timeouts.for_attempt(timeouts.total),
        deadline_in=timeouts.total,
    )
