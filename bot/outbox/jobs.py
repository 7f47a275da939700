"""One claimed job, from the lease to the recorded outcome.

::

    needs_reconcile? ── look the Mailroom id up (Sent Items, Drafts) ── found → sent
    pacing slot (shared through the store; short waits held, longer ones given back)
    application mode? ── SendGuard ── denied (or the guard failed) → failed
    sendMail ── Sent → sent · MaybeSent → reconcile later · NotSent → retry / failed

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

from bot.domain.explanations import explain_graph_error
from bot.domain.send_request import SendRequest
from bot.errors import (
    ConsentRequired,
    GraphError,
    GraphTransportError,
    IdentityError,
    IllegalTransition,
    NotFound,
    StoreError,
    Throttled,
    TokenAcquisitionError,
    VersionConflict,
)
from bot.graph import GraphClient, MaybeSent, NotSent, Sent
from bot.outbox.audit import already_audited, message_entry
from bot.outbox.config import WorkerConfig
from bot.outbox.guard import SendGuard, guarded
from bot.outbox.lease import LeaseKeeper
from bot.outbox.routing import SendRoute, build_message, route_for
from bot.outbox.senders import SenderDetails, SenderLookup, sender_details
from bot.store.protocol import Store
from bot.store.records import AuditEntry, ClaimedJob, Clock, Job, JobState, Lease

logger = logging.getLogger(__name__)

T = TypeVar("T")

CONSENT_KEY = "consent_required"
TRANSIENT_KEY = "temporarily_unavailable"


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    RETRY = "retry"
    MAYBE_SENT = "maybe_sent"
    RELEASED = "released"
    LOST = "lost"
    """The lease was lost (reclaimed, or the request cancelled): nothing recorded here."""


@dataclass(frozen=True)
class JobResult:
    job_id: str
    request_id: str
    outcome: Outcome
    graph_request_id: str | None = None
    error_code: str | None = None

    @property
    def final(self) -> bool:
        return self.outcome in (Outcome.SENT, Outcome.FAILED)


# --- what to record ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Sent:
    graph_request_id: str | None
    audit: AuditEntry | None


@dataclass(frozen=True)
class _Failed:
    code: str
    key: str | None
    audit: AuditEntry


@dataclass(frozen=True)
class _Retry:
    due_at: datetime
    code: str | None
    block_until: datetime | None = None


@dataclass(frozen=True)
class _MaybeSent:
    reconcile_at: datetime
    code: str | None


@dataclass(frozen=True)
class _Release:
    due_at: datetime


_Decision = _Sent | _Failed | _Retry | _MaybeSent | _Release


# Exchange refused the right at send time: told so the permission facts are asked afresh.
RefusedHook = Callable[[SendRequest, str], None]
_RIGHTS_REFUSED = frozenset({"ErrorSendAsDenied", "ErrorAccessDenied"})


class JobRunner:
    """Works claimed jobs for one worker. ``on_slot(request)`` is called when a job of the
    request got its pacing slot (the worker moves the request to ``sending``)."""

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
    ) -> None:
        self._store = store
        self._graph = graph
        self._guard = guard
        self._senders = senders
        self._config = config
        self._clock = clock
        self._on_slot = on_slot
        self._on_refused = on_refused
        self._jitter = jitter
        self._waiting: set[str] = set()  # mailboxes one of our jobs is waiting a slot for
        self._reservations: dict[str, datetime] = {}  # mailbox -> last due_at handed out
        self._recording: set[asyncio.Task[Any]] = set()

    def details(self, mailbox: str) -> SenderDetails:
        c = self._config
        return sender_details(
            self._senders,
            mailbox,
            default_per_minute=c.default_per_minute,
            rate_safety=c.rate_safety,
            max_concurrent=c.max_concurrent_per_mailbox,
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
            return await self._shielded(self._record(job, lease, _Release(self._later(3600))))
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

    async def _decide(self, claimed: ClaimedJob, request: SendRequest) -> _Decision | None:
        job, lease = claimed.job, claimed.lease
        try:
            route = route_for(request)
        except ValueError as exc:
            logger.warning("request %s cannot be sent: %s", request.id, exc)
            return self._failed(request, job, "UnsupportedSender", "unknown")
        details = self.details(job.sender_address)
        reconciled = False
        if claimed.needs_reconcile:
            found = await self._reconcile(request, job, route)
            if not isinstance(found, bool):
                return found
            if found:
                audited = await already_audited(self._store, request, job, "sent")
                entry = None if audited else message_entry(request, job, "sent", self._clock())
                return _Sent(None, entry)
            reconciled = True
        try:
            slot = await self._slot(job, lease, details, reconciled=reconciled)
        except (VersionConflict, IllegalTransition) as exc:
            logger.info("job %s: lease lost while waiting for a slot (%s)", job.id, exc)
            return None
        if not isinstance(slot, Job):
            return slot
        job = slot
        if self._on_slot is not None:
            await self._on_slot(request)
        if route.needs_guard:
            verdict = await guarded(self._guard, request)
            if not verdict.allowed:
                key = verdict.explanation_key or "rights_unverified"
                logger.info("request %s: send guard refused (%s)", request.id, key)
                return self._failed(request, job, key, key)
        return await self._send(request, job, route, details)

    # --- reconciliation ---------------------------------------------------------------

    async def _reconcile(
        self, request: SendRequest, job: Job, route: SendRoute
    ) -> bool | _MaybeSent:
        """True: the message is in the mailbox. False: it is not, safe to send."""
        try:
            found = await self._graph.find_by_mailroom_id(
                route.sent_items_mailbox,
                job.mailroom_id,
                caller=route.caller,
                timeouts=self._config.send_timeouts,
            )
        except (GraphError, GraphTransportError, IdentityError) as exc:
            code = exc.code if isinstance(exc, GraphError) else type(exc).__name__
            logger.warning(
                "job %s: cannot look for Mailroom id %s in %s (%s); trying again later",
                job.id,
                job.mailroom_id,
                route.sent_items_mailbox,
                code,
            )
            return _MaybeSent(self._later(self._config.reconcile_retry_delay), code)
        if found is not None:
            logger.info(
                "job %s: reconciled, found in %s of %s",
                job.id,
                found.folder,
                route.sent_items_mailbox,
            )
            return True
        logger.info("job %s: reconciled, not in %s: sending", job.id, route.sent_items_mailbox)
        return False

    # --- pacing -------------------------------------------------------------------------

    async def _slot(
        self, job: Job, lease: Lease, details: SenderDetails, *, reconciled: bool
    ) -> Job | _Retry | _Release:
        """The job, now ``sending``, or what to record when no slot comes soon. One of our
        jobs per mailbox waits out a short refusal; the others go back, spread out."""
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
            due = self._reserve(mailbox, not_before, interval)
            if reconciled or job.state is not JobState.QUEUED:
                return _Retry(due, None)
            return _Release(due)

    def _reserve(self, mailbox: str, not_before: datetime, interval: timedelta) -> datetime:
        last = self._reservations.get(mailbox)
        base = not_before if last is None or last < not_before else last
        due = base + interval
        self._reservations[mailbox] = due
        return due

    # --- sending ------------------------------------------------------------------------

    async def _send(
        self, request: SendRequest, job: Job, route: SendRoute, details: SenderDetails
    ) -> _Decision:
        try:
            message = build_message(
                job, route, from_name=details.display_name, reply_to=details.reply_to
            )
        except ValueError as exc:
            logger.warning("job %s cannot be built: %s", job.id, exc)
            return self._failed(request, job, "ContentUnavailable", "unknown")
        try:
            outcome = await self._graph.send_mail(
                route.caller,
                message,
                mailbox=route.mailbox,
                timeouts=self._config.send_timeouts,
            )
        except Exception as exc:  # unknown: it may have gone out
            logger.exception("job %s: sendMail failed unexpectedly", job.id)
            return _MaybeSent(self._later(self._config.reconcile_delay), type(exc).__name__)
        if isinstance(outcome, Sent):
            ids = (outcome.request_id,) if outcome.request_id else ()
            entry = message_entry(request, job, "sent", self._clock(), graph_request_ids=ids)
            logger.debug("job %s: sent by worker %s", job.id, self._config.worker_id)
            return _Sent(outcome.request_id, entry)
        if isinstance(outcome, MaybeSent):
            logger.warning("job %s: maybe sent (%s); will reconcile", job.id, outcome.reason)
            code = f"MaybeSent{outcome.status}" if outcome.status else "MaybeSent"
            return _MaybeSent(self._later(self._config.reconcile_delay), code)
        return self._not_sent(request, job, outcome)

    def _not_sent(self, request: SendRequest, job: Job, outcome: NotSent) -> _Decision:
        error = outcome.error
        if isinstance(error, ConsentRequired):
            return self._failed(request, job, CONSENT_KEY, CONSENT_KEY)
        if isinstance(error, Throttled):
            wait = error.retry_after if error.retry_after else self._config.default_retry_after
            until = self._later(wait)
            logger.info(
                "job %s: %s %s, mailbox paused %.1f s", job.id, error.status, error.code, wait
            )
            return _Retry(until, error.code, block_until=until)
        if isinstance(error, GraphError) and error.status != 401 and error.status < 500:
            explained = explain_graph_error(error, mailbox=job.sender_address)
            ids = (error.request_id,) if error.request_id else ()
            logger.info("job %s refused: %s %s", job.id, error.status, error.code)
            return self._failed(request, job, error.code, explained.key, ids)
        if isinstance(error, GraphError):
            code, key = error.code, explain_graph_error(error).key
        elif isinstance(error, TokenAcquisitionError):
            code, key = error.error, TRANSIENT_KEY
        else:
            code, key = type(error).__name__, TRANSIENT_KEY
        if job.attempts >= self._config.max_attempts:
            logger.warning("job %s: giving up after %d attempts (%s)", job.id, job.attempts, code)
            return self._failed(request, job, code, key)
        return _Retry(self._later(self._backoff(job.attempts)), code)

    def _backoff(self, attempts: int) -> float:
        c = self._config
        step = min(c.retry_max_delay, c.retry_base_delay * 2.0 ** max(attempts - 1, 0))
        return step * (0.5 + self._jitter() / 2)

    def _failed(
        self,
        request: SendRequest,
        job: Job,
        code: str,
        key: str | None,
        graph_request_ids: tuple[str, ...] = (),
    ) -> _Failed:
        if code in _RIGHTS_REFUSED and self._on_refused is not None:
            self._on_refused(request, code)
        entry = message_entry(
            request,
            job,
            "failed",
            self._clock(),
            graph_request_ids=graph_request_ids,
            error_code=code,
        )
        return _Failed(code, key, entry)

    def _later(self, seconds: float) -> datetime:
        return self._clock() + timedelta(seconds=seconds)

    # --- recording ----------------------------------------------------------------------

    async def _shielded(self, work: Coroutine[Any, Any, T]) -> T:
        task = asyncio.create_task(work)
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)
        return await asyncio.shield(task)

    async def _record(self, job: Job, lease: Lease, decision: _Decision) -> JobResult:
        s = self._store
        try:
            if isinstance(decision, _Sent):
                if decision.audit is not None:
                    await s.append_audit(decision.audit)
                await s.record_sent(lease, decision.graph_request_id)
                return JobResult(job.id, job.request_id, Outcome.SENT, decision.graph_request_id)
            if isinstance(decision, _Failed):
                await s.append_audit(decision.audit)
                await s.record_failed(lease, decision.code, decision.key)
                ids = decision.audit.graph_request_ids
                return JobResult(
                    job.id, job.request_id, Outcome.FAILED, ids[0] if ids else None, decision.code
                )
            if isinstance(decision, _Retry):
                if decision.block_until is not None:
                    await s.block_mailbox(job.sender_address, decision.block_until)
                await s.record_retry(lease, decision.due_at, decision.code)
                return JobResult(job.id, job.request_id, Outcome.RETRY, error_code=decision.code)
            if isinstance(decision, _MaybeSent):
                await s.record_maybe_sent(lease, decision.reconcile_at, decision.code)
                return JobResult(
                    job.id, job.request_id, Outcome.MAYBE_SENT, error_code=decision.code
                )
            await s.release_job(lease, decision.due_at)
            return JobResult(job.id, job.request_id, Outcome.RELEASED)
        except (VersionConflict, IllegalTransition, NotFound) as exc:
            logger.warning("job %s: outcome not recorded, lease lost (%s)", job.id, exc)
            return JobResult(job.id, job.request_id, Outcome.LOST)
        except StoreError as exc:
            # The lease will expire and the job be reclaimed and reconciled.
            logger.warning("job %s: outcome not recorded: %s", job.id, exc)
            return JobResult(job.id, job.request_id, Outcome.LOST)
