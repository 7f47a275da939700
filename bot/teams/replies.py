"""Small helpers to put a card or a line of text into the conversation.

A reply Teams refuses for its rate limits (429; also 412, 502, 504, which Teams asks bots
to retry: docs/platform.md, "Teams") is sent again after ``Retry-After`` (or a short
backoff), a few times within the turn; then the failure goes to the turn's error handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

import aiohttp
from microsoft_agents.activity import Activity, ActivityTypes, Attachment
from microsoft_agents.hosting.core import TurnContext

from bot.netclient import parse_retry_after

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUSES = frozenset({412, 429, 502, 504})
# Teams' per-app limit (30 a second) is shared by every conversation: in a burst a reply may
# wait a few one-second rounds for room, so it gets ten seconds' worth of tries.
REPLY_ATTEMPTS = 10
MAX_REPLY_WAIT = 5.0

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def card_activity(card: Mapping[str, Any], activity_id: str | None = None) -> Activity:
    """A message carrying ``card``; with ``activity_id``, the update of that message."""
    return Activity(
        type=ActivityTypes.message,
        id=activity_id,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=dict(card))],
    )


async def send_card(turn_context: TurnContext, card: dict[str, Any]) -> str | None:
    """Send ``card`` as a new message; returns the activity id Teams gave it."""
    response = await send_reply(turn_context, card_activity(card))
    return getattr(response, "id", None) if response is not None else None


async def send_text(turn_context: TurnContext, text: str) -> None:
    await send_reply(turn_context, Activity(type=ActivityTypes.message, text=text))


async def send_reply(turn_context: TurnContext, activity: Activity) -> object:
    """``send_activity``, again after a refusal Teams asks bots to retry."""
    attempt = 1
    while True:
        try:
            return await turn_context.send_activity(activity)
        except aiohttp.ClientResponseError as exc:
            if exc.status not in RETRY_STATUSES or attempt >= REPLY_ATTEMPTS:
                raise
            wait = _retry_after(exc) or 0.5 * 2 ** (attempt - 1)
            logger.info("reply refused with %s: again in %.1f s", exc.status, wait)
            await asyncio.sleep(min(wait, MAX_REPLY_WAIT))
            attempt += 1


def _retry_after(exc: aiohttp.ClientResponseError) -> float | None:
    header = exc.headers.get("Retry-After") if exc.headers is not None else None
    return parse_retry_after(header) if header else None


async def typing_while(turn_context: TurnContext, answer: Awaitable[T], after: float) -> T:
    """``answer``'s result; if it is not ready after ``after`` seconds, a typing indicator
    goes first (Teams Store rule: a bot answers within two seconds or shows one; never one
    after the answer). The indicator is best effort: Teams refusing it stops nothing."""
    task = asyncio.ensure_future(answer)
    try:
        done, _ = await asyncio.wait({task}, timeout=after)
        if not done:
            try:
                await turn_context.send_activity(Activity(type=ActivityTypes.typing))
            except (aiohttp.ClientError, TimeoutError) as exc:
                logger.info("typing indicator not shown: %s", type(exc).__name__)
        return await task
    finally:
        if not task.done():
            task.cancel()
