"""Asking a request's approvers without keeping the requester's click waiting
(docs/decisions/0017-reaching-approvers-in-the-background.md).

Teams gives a bot five seconds to answer an invoke (learn.microsoft.com/microsoftteams/
platform/messaging-extensions/how-to/action-commands/respond-to-task-module-submit); reaching
one approver may take longer than that (a chat that no longer answers is retried; installing
and opening a chat are three calls). So "Request approval" stores every approver as
``pending``, reaches them side by side (at most ``CONCURRENCY`` at once, each connector call
within Teams' limits through the notifier's pacer), each outcome replacing their
``pending``, and answers when all are reached or after ``ANSWER_WITHIN`` seconds, whichever
comes first. Then the card says who got it in Teams, who was emailed, who could not be
reached and "Asking N approvers…" for the rest; it is updated once they are reached.

Nothing is lost if the process dies meanwhile: an approver still ``pending`` after
``STALE_AFTER`` is taken over by the remind chore (``resume``), one replica only
(``Store.claim_reach``). ``STALE_AFTER`` is far longer than reaching one approver can take
(a few connector calls, each retried a few times with backoff capped at 20 s).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.domain.send_request import JsonValue, SendRequest
from bot.domain.senders import Policy
from bot.errors import GraphError, GraphTransportError, IdentityError, NotFound, StoreError
from bot.flow.approvals import ApprovalFlow, Approver, Requested
from bot.i18n import use_locale_of
from bot.store import Store
from bot.teams.followers import Followers
from bot.teams.reach import PENDING, ApproverReach
from bot.teams.reminders import waiting_requests

logger = logging.getLogger(__name__)

CONCURRENCY = 8
ANSWER_WITHIN = 2.0  # seconds of Teams' five for an invoke answer spent reaching approvers
STALE_AFTER = timedelta(minutes=5)


class ApproverAsking:
    def __init__(
        self,
        store: Store,
        reach: ApproverReach,
        approvals: ApprovalFlow,
        followers: Followers,
        policy: Policy,
    ) -> None:
        self._store = store
        self._reach = reach
        self._approvals = approvals
        self._policy = policy
        self._followers = followers
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._running: set[asyncio.Task[None]] = set()

    async def record(self, requested: Requested) -> None:
        """Store every approver as still to be told (before the click is answered)."""
        for approver in requested.approvers:
            await self._store.record_reach(requested.request.id, approver.oid, PENDING)

    async def ask(self, requested: Requested, origin: Mapping[str, JsonValue]) -> None:
        """Reach the approvers ``record`` stored, waiting at most ``ANSWER_WITHIN``;
        ``origin``: the requester's conversation. Those not reached by then go on being
        reached after the answer, and the requester's card follows once all are."""
        request = requested.request
        work = self._tell_all(request, requested.approvers, origin, requested)
        telling = self._keep(asyncio.create_task(work, name=f"asking-{request.id}"))
        try:
            await asyncio.wait_for(asyncio.shield(telling), ANSWER_WITHIN)
        except TimeoutError:
            self._keep(asyncio.create_task(self._follow(telling, request.id)))

    async def _follow(self, telling: asyncio.Task[None], request_id: str) -> None:
        await telling
        await self._followers.changed(request_id)  # the requester's card: who was reached how

    def _keep(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def resume(self, now: datetime) -> int:
        """Reach the approvers left ``pending`` by a process that stopped before telling
        them; returns how many were taken over."""
        taken = 0
        async for request in waiting_requests(self._store):
            taken += await self._resume(request, now - STALE_AFTER)
        return taken

    async def _resume(self, request: SendRequest, stale_before: datetime) -> int:
        pending = [o for o, how in (await self._store.list_reach(request.id)).items()
                   if how == PENDING]  # fmt: skip
        claimed = [
            oid
            for oid in pending
            if await self._store.claim_reach(request.id, oid, stale_before=stale_before)
        ]
        if not claimed:
            return 0
        try:
            approvers = await self._approvers(request)
        except (GraphError, GraphTransportError, IdentityError) as error:
            logger.warning("approvers not listed: %s", type(error).__name__)
            return 0  # still pending: the next look after STALE_AFTER tries again
        chosen = tuple(a for a in approvers if a.oid.lower() in claimed)
        for gone in set(claimed) - {a.oid.lower() for a in chosen}:
            await self._store.record_reach(request.id, gone, "unreachable")  # no longer asked
        try:
            origin = (await self._store.get_conversation_ref(request.requester_oid)).reference
        except NotFound:
            origin = {}  # no chat to start from: a stored chat or the email still work
        logger.info("taking over telling %d approver(s) of request %s", len(chosen), request.id)
        await self._tell_all(request, chosen, origin, None)
        await self._followers.changed(request.id)
        return len(chosen)

    async def _approvers(self, request: SendRequest) -> tuple[Approver, ...]:
        sender = self._policy.sender(request.sender_address)
        if sender is None:
            return ()
        return await self._approvals.approvers(sender, requester_oid=request.requester_oid)

    async def _tell_all(
        self,
        request: SendRequest,
        approvers: tuple[Approver, ...],
        origin: Mapping[str, JsonValue],
        requested: Requested | None,
    ) -> None:
        await asyncio.gather(*(self._tell(a, request, origin, requested) for a in approvers))

    async def _tell(
        self,
        approver: Approver,
        request: SendRequest,
        origin: Mapping[str, JsonValue],
        requested: Requested | None,
    ) -> None:
        async with self._slots:
            try:
                # In the approver's language (their last activity's), else the requester's.
                with use_locale_of(await self._followers.reference_of(approver.oid)):
                    card = await self._followers.views.card(
                        request, "approver", requested=requested
                    )
                await self._reach.tell(approver, card, request, origin)
            except (StoreError, GraphError, GraphTransportError, IdentityError) as error:
                # Left pending: resume takes it over once it is stale.
                logger.warning("an approver was not told yet: %s", type(error).__name__)
            except Exception:
                logger.exception("an approver was not told yet")
