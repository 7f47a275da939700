"""``GET /results/{id}.csv``: every recipient's result of a bulk request, as a spreadsheet.

Linked from the request's final card ("Download results (CSV)") with a signed, short-lived
link (``bot/flow/preview_links.py``, signed for this purpose only); an expired link gets a
page that says how to get a new one. One row per message in CSV row order: ``row``,
``recipient``, ``result`` (sent, not sent, cancelled, unknown, not sent yet), ``sent_at``
(UTC) and ``reason`` — no message content. Cells a spreadsheet would run as a formula are
prefixed with ``'``, as in ``mailroom audit``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.errors import NotFound, StoreUnavailable
from bot.flow.preview_links import RESULTS, LinkCheck, PreviewLinks
from bot.outbox.progress import job_result
from bot.preview_page import HEADERS, message_page
from bot.store import Store

logger = logging.getLogger(__name__)

COLUMNS = ("row", "recipient", "result", "sent_at", "reason")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
_AGAIN = "Type /status followed by the request's id in Teams for a card with a new link."


def results_handler(
    sources: Callable[[], tuple[Store, PreviewLinks] | None],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def results(request: web.Request) -> web.Response:
        return await _answer(request, sources())

    return results


async def _answer(request: web.Request, running: tuple[Store, PreviewLinks] | None) -> web.Response:
    if running is None:
        return message_page(503, "Not ready yet", "Mailroom is starting. Try again in a moment.")
    store, links = running
    request_id = request.match_info.get("request_id", "")
    if not _REQUEST_ID.match(request_id):
        return message_page(404, "No such results", "This link does not point at Mailroom results.")
    check = links.check(
        request_id, request.query.get("exp", ""), request.query.get("sig", ""), RESULTS
    )
    if check is LinkCheck.INVALID:
        logger.warning("results link refused: bad signature", extra={"request_id": request_id})
        return message_page(403, "This link is not valid", f"It was changed or cut short. {_AGAIN}")
    if check is LinkCheck.EXPIRED:
        return message_page(410, "This results link has expired", _AGAIN)
    try:
        await store.get_request(request_id)
        jobs = await store.list_jobs(request_id)
    except NotFound:
        return message_page(404, "No such results", "This request no longer exists.")
    except StoreUnavailable:
        return message_page(503, "Temporarily unavailable", "The database did not answer.")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, job in enumerate(jobs, start=1):
        result, reason = job_result(job)
        sent_at = job.sent_at.strftime("%Y-%m-%dT%H:%M:%SZ") if job.sent_at else ""
        cells = (number, "; ".join(job.recipients.all()), result, sent_at, reason)
        writer.writerow([_cell(str(c)) for c in cells])
    logger.info("results downloaded", extra={"request_id": request_id})
    headers = {
        **HEADERS,
        "Content-Disposition": f'attachment; filename="mailroom-results-{request_id[:8]}.csv"',
    }
    return web.Response(
        body=out.getvalue().encode("utf-8"), content_type="text/csv", charset="utf-8",
        headers=headers,
    )  # fmt: skip


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text
