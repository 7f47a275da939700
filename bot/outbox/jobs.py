"""One claimed job, from the lease to the recorded outcome.

::

    pacing slot (shared through the store; short waits held, longer ones given back)
    first job of a request that waited? ── SendGuard, once ── denied (or it failed) → failed
    the Graph calls (``bot/outbox/delivery.py``): look up · create the draft · send it by id

Every Graph call of a job happens inside its slot, so the store's count of ``sending`` jobs
bounds the requests in flight per mailbox (Outlook runs 4 at once) and the slot's rate
bounds the messages per minute.

Deciding and recording are separate: ``_decide`` does the I/O under a renewed lease and
returns what to record; ``_record`` writes the audit row and the outcome as one unit that a
cancellation cannot cut in half (it runs shielded, and the worker waits for it on stop).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from bot.domain.send_request import SendRequest, SendState
from bot.errors import IllegalTransition, NotFound, StoreError, VersionConflict
from bot.graph import GraphClient
from bot.metrics import Metrics
from bot.outbox import decisions as d
from bot.outbox.closing import mark_sending
from bot.outbox.config import WorkerConfig
from bot.outbox.delivery import Delivery, RefusedHook
from bot.outbox.guard import GuardResult, SendGuard, guarded
from bot.outbox.lease import LeaseKeeper
from bot.outbox.routing import route_for
from bot.outbox.senders import SenderDetails, SenderLookup, sender_details
from bot.outbox.windows import held_until, window_of
from bot.store.protocol import Store
from bot.store.records import ClaimedJob, Clock, Job, JobState, Lease, SlotRefusal

logger = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["JobResult", "JobRunner", "Outcome", "RefusedHook"]


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    RETRY = "retry"
    MAYBE_SENT = "maybe_sent"
    RELEASED = "released"
    HELD = "held"
    """Handed back until its sender's send window opens (``bot/outbox/windows.py``)."""
    LOST = "lost"
    """The lease was lost (reclaimed, or the request cancelled): nothing recorded here."""


FINAL_OUTCOMES = frozenset({Outcome.SENT, Outcome.FAILED, Outcome.UNKNOWN, Outcome.CANCELLED})


@dataclass(frozen=True)
class JobResult:
    job_id: str
    request_id: str
    outcome: Outcome
    graph_request_id: str | None = None
    error_code: str | None = None

    @property
    def final(self) -> bool:
        return self.outcome in FINAL_OUTCOMES


class _NeverFits:
    """The message has more recipients than its mailbox may send to in a day."""


NEVER_FITS = _NeverFits()


class JobRunner:
    """Works claimed jobs for one worker. ``on_slot(request)`` is called when a request's
    first job got its pacing slot and the request was cleared to send (now ``sending``)."""

    def __init__(
        self,
        store: Store,
        graph: GraphClient,
        *,
        guard: SendGuard,
        senders: SenderLookup,
        config: WorkerConfig,
        clock: Clock,
        on_slot: Callable[[SendRequest], Awaitable[None]] | None = None,
        on_refused: RefusedHook | None = None,
        jitter: Callable[[], float] = random.random,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._guard = guard
        self._senders = senders
        self._config = config
        self._clock = clock
        self._on_slot = on_slot
        self._jitter = jitter
        self._delivery = Delivery(
            store,
            graph,
            config=config,
            clock=clock,
            on_refused=on_refused,
            jitter=jitter,
            metrics=metrics,
        )
        self._waiting: set[str] = set()  # mailboxes one of our jobs is waiting a slot for
        self._reservations: dict[str, datetime] = {}  # mailbox -> last due_at handed out
        self._verdicts: dict[tuple[str, int], asyncio.Task[GuardResult]] = {}
        self._recording: set[asyncio.Task[Any]] = set()

    def details(self, mailbox: str) -> SenderDetails:
        c = self._config
        return sender_details(
            self._senders,
            mailbox,
            default_per_minute=c.default_per_minute,
            rate_safety=c.rate_safety,
            max_concurrent=c.max_concurrent_per_mailbox,
            recipients_per_day=c.recipients_per_day,
        )

    async def drain(self) -> None:
        """Wait for outcomes being recorded (called on stop, after cancelling jobs)."""
        while self._recording:
            await asyncio.gather(*list(self._recording), return_exceptions=True)

    # --- the job ----------------------------------------------------------------------

    async def run(self, claimed: ClaimedJob) -> JobResult:
        job, lease = claimed.job, claimed.lease
        try:
            request = await self._store.get_request(job.request_id)
        except NotFound:
            logger.warning("job %s belongs to no request %s", job.id, job.request_id)
            return await self._shielded(self._record(job, lease, d.Release(self._later(3600))))
        async with LeaseKeeper(
            self._store,
            lease,
            lease_seconds=self._config.lease_seconds,
            every=self._config.heartbeat_seconds,
            clock=self._clock,
        ):
            decision = await self._decide(claimed, request)
        if decision is None:
            return JobResult(job.id, job.request_id, Outcome.LOST)
        return await self._shielded(self._record(job, lease, decision))

    async def _decide(self, claimed: ClaimedJob, request: SendRequest) -> d.Decision | None:
        job, lease = claimed.job, claimed.lease
        try:
            route = route_for(request)
        except ValueError as exc:
            logger.warning("request %s cannot be sent: %s", request.id, exc)
            return self._delivery.failed(request, job, "UnsupportedSender", "unknown")
        if not claimed.needs_reconcile:
            opens = held_until(request, window_of(self._senders, job.sender_address), self._clock())
            if opens is not None:
                return d.Release(opens, held=True)
        details = self.details(job.sender_address)
        try:
            slot = await self._slot(job, lease, details)
        except (VersionConflict, IllegalTransition) as exc:
            logger.info("job %s: lease lost while waiting for a slot (%s)", job.id, exc)
            return None
        if isinstance(slot, _NeverFits):
            return self._delivery.failed(request, job, "RecipientQuota", "recipient_quota_message")
        if not isinstance(slot, Job):
            return slot
        if not claimed.needs_reconcile:  # a job that may have gone out is reconciled first
            cleared = await self._cleared(request, slot)
            if cleared is not None:
                return cleared
        decision = await self._delivery.run(
            request,
            slot,
            lease,
            route,
            details,
            reconcile=claimed.needs_reconcile,
            reclaimed_sending=claimed.job.state is JobState.SENDING,
        )
        return None if isinstance(decision, d.Lost) else decision

    # --- rights, once per request -----------------------------------------------------

    async def _cleared(self, request: SendRequest, job: Job) -> d.Decision | None:
        """``None`` when the request may send; otherwise what to record for this job. The
        request's first job to get a slot asks the ``SendGuard`` with fresh facts (the
        request may have waited in the queue or for an approval); the request then moves
        to ``sending``, which is how its other jobs, here or in another process, know."""
        current = await self._store.get_request(request.id)
        if current.state is SendState.SENDING:
            return None
        if current.state is not SendState.QUEUED:
            logger.info("request %s is %s: job %s not sent", current.id, current.state, job.id)
            return d.Cancelled()
        verdict = await self._verdict(current)
        if not verdict.allowed:
            key = verdict.explanation_key or "rights_unverified"
            logger.info("request %s: send guard refused (%s)", current.id, key)
            return self._delivery.failed(request, job, key, key)
        moved = await mark_sending(self._store, current)
        if moved.state is not SendState.SENDING:
            return d.Cancelled()
        if self._on_slot is not None:
            await self._on_slot(moved)
        return None

    async def _verdict(self, request: SendRequest) -> GuardResult:
        """One guard call per request (version) in this process, however many of its jobs
        get a slot while it runs."""
        key = (request.id, request.version)
        task = self._verdicts.get(key)
        if task is None:
            task = asyncio.create_task(guarded(self._guard, request))
            self._verdicts[key] = task
            if len(self._verdicts) > 1000:
                self._verdicts = {k: t for k, t in self._verdicts.items() if not t.done()}
                self._verdicts[key] = task
        return await asyncio.shield(task)

    # --- pacing -------------------------------------------------------------------------

    async def _slot(
        self, job: Job, lease: Lease, details: SenderDetails
    ) -> Job | d.Release | _NeverFits:
        """The job, now ``sending``, or what to record when no slot comes soon. One of our
        jobs per mailbox waits out a short refusal; the others go back, spread out. A job
        past the mailbox's recipients per day goes back until the window has room for it
        (the next windows of a bulk send)."""
        mailbox = job.sender_address
        interval = timedelta(seconds=details.pacing.interval_seconds)
        give_up = self._later(3 * self._config.max_slot_wait)
        while True:
            now = self._clock()
            decision = await self._store.acquire_send_slot(
                lease, details.pacing, self._config.lease_seconds, now
            )
            if decision.granted:
                return decision.job
            if decision.refusal is SlotRefusal.RECIPIENT_QUOTA:
                # Exact, shared by every replica: the job waits for the window to have room.
                if decision.not_before is None:
                    return NEVER_FITS
                return d.Release(decision.not_before)
            not_before = decision.not_before or now + interval
            wait = (not_before - now).total_seconds()
            holding = wait <= self._config.max_slot_wait and not_before <= give_up
            if holding and mailbox not in self._waiting:
                self._waiting.add(mailbox)
                try:
                    await asyncio.sleep(max(wait, 0.0) + 0.005 * self._jitter())
                finally:
                    self._waiting.discard(mailbox)
                continue
            return d.Release(self._reserve(mailbox, not_before, interval))

    def _reserve(self, mailbox: str, not_before: datetime, interval: timedelta) -> datetime:
        last = self._reservations.get(mailbox)
        base = not_before if last is None or last < not_before else last
        due = base + interval
        self._reservations[mailbox] = due
        return due

    def _later(self, seconds: float) -> datetime:
        return self._clock() + timedelta(seconds=seconds)

    # --- recording ----------------------------------------------------------------------

    async def _shielded(self, work: Coroutine[Any, Any, T]) -> T:
        task = asyncio.create_task(work)
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)
        return await asyncio.shield(task)

    async def _record(self, job: Job, lease: Lease, decision: d.Decision) -> JobResult:
        try:
            return await self._write(job, lease, decision)
        except (VersionConflict, IllegalTransition, NotFound) as exc:
            logger.warning("job %s: outcome not recorded, lease lost (%s)", job.id, exc)
            return JobResult(job.id, job.request_id, Outcome.LOST)
        except StoreError as exc:
            # The lease will expire and the job be reclaimed and reconciled.
            logger.warning("job %s: outcome not recorded: %s", job.id, exc)
            return JobResult(job.id, job.request_id, Outcome.LOST)

    async def _write(self, job: Job, lease: Lease, decision: d.Decision) -> JobResult:
        s = self._store
        if isinstance(decision, d.Lost):
            return JobResult(job.id, job.request_id, Outcome.LOST)
        if isinstance(decision, d.Sent):
            if decision.audit is not None:
                await s.append_audit(decision.audit)
            await s.record_sent(lease, decision.graph_request_id)
            return JobResult(job.id, job.request_id, Outcome.SENT, decision.graph_request_id)
        if isinstance(decision, d.Failed):
            await s.append_audit(decision.audit)
            await s.record_failed(
                lease, decision.code, decision.key, forget_draft=decision.forget_draft
            )
            ids = decision.audit.graph_request_ids
            first = ids[0] if ids else None
            return JobResult(job.id, job.request_id, Outcome.FAILED, first, decision.code)
        if isinstance(decision, d.Unknown):
            await s.append_audit(decision.audit)
            await s.record_unknown(lease, decision.code)
            return JobResult(job.id, job.request_id, Outcome.UNKNOWN, error_code=decision.code)
        if isinstance(decision, d.Retry):
            if decision.block_until is not None:
                await s.block_mailbox(job.sender_address, decision.block_until)
            await s.record_retry(lease, decision.due_at, decision.code)
            return JobResult(job.id, job.request_id, Outcome.RETRY, error_code=decision.code)
        if isinstance(decision, d.Uncertain):
            await s.record_maybe_sent(
                lease, decision.reconcile_at, decision.code, send_uncertain=decision.send_uncertain
            )
            return JobResult(job.id, job.request_id, Outcome.MAYBE_SENT, error_code=decision.code)
        if isinstance(decision, d.Cancelled):
            await s.record_cancelled(lease)
            return JobResult(job.id, job.request_id, Outcome.CANCELLED)
        await s.release_job(lease, decision.due_at)
        outcome = Outcome.HELD if decision.held else Outcome.RELEASED
        return JobResult(job.id, job.request_id, outcome)
