"""``GET /preview/{id}``: the full HTML of a previewed request, exactly as it will be sent.

The body is the stored rendered HTML, byte for byte (UTF-8): what the preview shows is what
Exchange gets. Access is the signed, short-lived link on the requester's and approvers'
cards (``bot/flow/preview_links.py``); an expired or altered link gets a page that says so
and what to do. Every answer forbids what an email must never do in a browser tab of ours:

* ``Content-Security-Policy``: no script, no remote load of any kind (images, fonts, styles
  from elsewhere: a tracking pixel would tell its sender the preview was opened), no form,
  no frame, ``sandbox`` without ``allow-scripts`` (a unique origin);
* ``Cache-Control: no-store``: the body stays out of caches and history snapshots;
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (the signed link
  never travels in a Referer), ``X-Frame-Options: DENY``.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.errors import NotFound, StoreUnavailable
from bot.flow.preview_links import LinkCheck, PreviewLinks
from bot.store import Store

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
_AGAIN = "Open the card in Teams and choose “View full preview” again for a new link."


def preview_handler(
    sources: Callable[[], tuple[Store, PreviewLinks] | None],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The route's handler; ``sources`` gives the running store and link signer (None while
    the services are not started)."""

    async def preview(request: web.Request) -> web.Response:
        return await _answer(request, sources())

    return preview


async def _answer(request: web.Request, running: tuple[Store, PreviewLinks] | None) -> web.Response:
    if running is None:
        return message_page(503, "Not ready yet", "Mailroom is starting. Try again in a moment.")
    store, links = running
    request_id = request.match_info.get("request_id", "")
    expires = request.query.get("exp", "")
    signature = request.query.get("sig", "")
    if not _REQUEST_ID.match(request_id):
        return message_page(
            404, "No such preview", "This link does not point at a Mailroom preview."
        )
    check = links.check(request_id, expires, signature)
    if check is LinkCheck.INVALID:
        logger.warning("preview link refused: bad signature", extra={"request_id": request_id})
        return message_page(403, "This link is not valid", f"It was changed or cut short. {_AGAIN}")
    if check is LinkCheck.EXPIRED:
        return message_page(
            410,
            "This preview link has expired",
            f"Preview links work for a short time only, so they can't be passed around. {_AGAIN}",
        )
    message = request.query.get("message", "1")
    try:
        body = await _html(store, request_id, message)
    except NotFound:
        return message_page(404, "No such preview", "This request no longer exists.")
    except StoreUnavailable:
        return message_page(
            503, "Temporarily unavailable", "The database did not answer. Try again."
        )
    if body is None:
        return message_page(
            410,
            "The content is no longer kept",
            "Mailroom deletes message bodies after its retention period; the audit log keeps "
            "the rest.",
        )
    logger.info("preview shown", extra={"request_id": request_id})
    return web.Response(
        body=body.encode("utf-8"), content_type="text/html", charset="utf-8", headers=HEADERS
    )


async def _html(store: Store, request_id: str, message: str) -> str | None:
    """Message ``message`` of the request (1, the first, is what the preview card shows;
    a bulk request has one per row)."""
    stored = await store.get_request(request_id)
    number = int(message) if message.isdigit() and len(message) < 7 else 0
    if not 1 <= number <= stored.message_count:
        raise NotFound("message", f"{message[:10]} of {request_id}")
    if number == 1:
        return stored.content.html if stored.content else None
    jobs = await store.list_jobs(request_id)
    if number > len(jobs):
        raise NotFound("message", f"{number} of {request_id}")
    content = jobs[number - 1].content
    return content.html if content else None


def message_page(status: int, title: str, text: str) -> web.Response:
    """A plain page of our own for every answer that is not the preview itself."""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · Mailroom</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{font:16px/1.5 'Segoe UI',system-ui,sans-serif;max-width:36rem;"
        "margin:4rem auto;padding:0 1rem;color:#242424}h1{font-size:1.4rem}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return web.Response(
        text=body, status=status, content_type="text/html", charset="utf-8", headers=HEADERS
    )
