"""Closing a request once none of its messages is open: ``sent`` when every message went
out, ``failed`` when any certainly did not (a bulk send with failures offers "Retry failed"),
else ``unknown`` when any message's fate could not be learnt (never resent, never "sent").

The move is a compare-and-set; on a ``VersionConflict`` the request is reloaded and looked
at again (someone cancelled it, another worker closed it, an approver moved it...).
"""

from __future__ import annotations

import logging

from bot.domain.send_request import SendRequest, SendState
from bot.errors import IllegalTransition, NotFound, VersionConflict
from bot.store.protocol import Store
from bot.store.records import JobState

UNKNOWN_KEY = "outcome_unknown"

logger = logging.getLogger(__name__)

_CLOSABLE = frozenset({SendState.QUEUED, SendState.SENDING})
_MAX_TRIES = 5


async def close_if_done(
    store: Store, request_id: str, *, graph_request_id: str | None = None
) -> SendRequest | None:
    """Close the request if all its messages are done; return it when *this call* closed
    it. ``graph_request_id``: the request id of the job just finished (a single send's
    failure keeps it only here: the outbox records it for sent messages alone)."""
    for _ in range(_MAX_TRIES):
        try:
            counts = await store.job_counts(request_id)
            if counts.open:
                return None
            request = await store.get_request(request_id)
        except NotFound:
            return None
        if request.state not in _CLOSABLE:
            return None
        try:
            if counts.failed:
                failed = await store.list_jobs(request_id, [JobState.FAILED])
                first = failed[0] if failed else None
                return await store.transition(
                    request_id,
                    request.version,
                    SendState.FAILED,
                    error_code=first.error_code if first else None,
                    error_key=first.error_key if first else None,
                    graph_request_id=graph_request_id if not request.is_bulk else None,
                )
            if counts.unknown:
                return await store.transition(
                    request_id, request.version, SendState.UNKNOWN,
                    error_code="OutcomeUnknown", error_key=UNKNOWN_KEY,
                )  # fmt: skip
            sent_id = None
            if not request.is_bulk:
                jobs = await store.list_jobs(request_id, [JobState.SENT])
                sent_id = jobs[0].graph_request_id if jobs else None
            return await store.transition(
                request_id, request.version, SendState.SENT, graph_request_id=sent_id
            )
        except VersionConflict:
            continue
        except IllegalTransition as exc:
            logger.info("request %s not closed: %s", request_id, exc)
            return None
    logger.warning("request %s not closed: it kept changing", request_id)
    return None


async def mark_sending(store: Store, request: SendRequest) -> SendRequest:
    """``queued`` → ``sending`` when the request was cleared to send (for /status, and so
    that its other jobs know). Returns the request as it now is: ``sending``, or whatever a
    concurrent Cancel (or another worker) made of it."""
    if request.state is not SendState.QUEUED:
        return request
    try:
        return await store.transition(request.id, request.version, SendState.SENDING)
    except (VersionConflict, IllegalTransition, NotFound):
        try:
            return await store.get_request(request.id)
        except NotFound:
            return request
