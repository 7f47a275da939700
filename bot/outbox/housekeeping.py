"""The worker's periodic chores: expire requests nobody acted on, close requests whose
messages are all done (a worker may have died between its last message and the close),
and purge rendered bodies past retention. Each is safe to run on every replica at once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.send_request import SendRequest, SendState
from bot.errors import IllegalTransition, NotFound, VersionConflict
from bot.outbox.audit import request_entry
from bot.outbox.closing import close_if_done
from bot.store.protocol import Store
from bot.store.records import Clock, PurgeResult, RetentionPolicy

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 500


async def expire_due(
    store: Store,
    now: datetime,
    *,
    clock: Clock,
    notify: Callable[[SendRequest], Awaitable[None]] | None = None,
    limit: int = 100,
) -> list[SendRequest]:
    """Move requests past ``expires_at`` to ``expired`` (one audit row each) and tell their
    requesters. Returns the requests this call expired."""
    expired: list[SendRequest] = []
    for request in await store.due_expirations(now, limit):
        try:
            moved = await store.transition(request.id, request.version, SendState.EXPIRED)
        except (VersionConflict, IllegalTransition, NotFound):
            continue  # someone approved, cancelled or expired it first
        await store.append_audit(request_entry(moved, "expired", clock()))
        logger.info("request %s expired", moved.id)
        expired.append(moved)
        if notify is not None:
            await notify(moved)
    return expired


async def close_finished(
    store: Store, on_closed: Callable[[SendRequest], Awaitable[None]] | None = None
) -> list[SendRequest]:
    """Close ``queued``/``sending`` requests with no open message left."""
    closed: list[SendRequest] = []
    open_requests = await store.list_requests(
        states=(SendState.QUEUED, SendState.SENDING), limit=SWEEP_LIMIT
    )
    for request in open_requests:
        done = await close_if_done(store, request.id)
        if done is not None:
            logger.info("request %s closed by the sweep: %s", done.id, done.state)
            closed.append(done)
            if on_closed is not None:
                await on_closed(done)
    return closed


async def purge(store: Store, policy: RetentionPolicy, now: datetime) -> PurgeResult:
    result = await store.purge(policy, now)
    if result.requests or result.messages or result.activities or result.drafts:
        logger.info(
            "retention purged %d request bodies, %d message bodies, %d compose drafts,"
            " %d activity ids",
            result.requests,
            result.messages,
            result.drafts,
            result.activities,
        )
    return result


@dataclass
class Chore:
    """A chore due every ``every`` seconds (first run at once)."""

    name: str
    every: float
    run: Callable[[], Awaitable[object]]
    next_at: float = 0.0

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def done(self, now: float) -> None:
        self.next_at = now + self.every
