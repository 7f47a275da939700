"""The outbox worker: an owned background task of the bot process (any number of processes
may run one on the same database).

::

    worker = Worker(store, graph, guard=guard, senders=policy.sender, notifier=notifier)
    await worker.start()
    ...
    await worker.stop()

``worker.wake()`` after queueing a request skips the wait for the next poll. The loop claims
due jobs (up to ``max_in_flight`` at once), works each in its own task
(``JobRunner``), closes a request when its last message is done, and keeps the request's
cards up to date. Between claims it runs its chores: expiring requests, closing requests a
dead worker left open, and the retention purge.

Stopping stops claiming, gives running jobs ``shutdown_grace`` seconds, then cancels the
rest: a job cancelled mid-call keeps its lease until it expires and is then reconciled by
whichever worker claims it next; an outcome being recorded is always recorded whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from bot.domain.send_request import SendRequest
from bot.errors import StoreError
from bot.graph import GraphClient
from bot.metrics import Metrics
from bot.outbox.closing import close_if_done
from bot.outbox.config import WorkerConfig
from bot.outbox.guard import SendGuard
from bot.outbox.housekeeping import Chore, close_finished, expire_due, purge
from bot.outbox.jobs import JobRunner, Outcome, RefusedHook
from bot.outbox.progress import CardNotifier, CardRenderer, ProgressPublisher, default_render_card
from bot.outbox.senders import SenderLookup, no_senders
from bot.outbox.windows import window_of
from bot.store.protocol import Store
from bot.store.records import ClaimedJob, Clock, RetentionPolicy, utc_now

logger = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        store: Store,
        graph: GraphClient,
        *,
        guard: SendGuard,
        config: WorkerConfig | None = None,
        senders: SenderLookup = no_senders,
        notifier: CardNotifier | None = None,
        render_card: CardRenderer = default_render_card,
        clock: Clock = utc_now,
        on_refused: RefusedHook | None = None,
        metrics: Metrics | None = None,
        on_expired: Callable[[SendRequest], Awaitable[None]] | None = None,
        on_approved_closed: Callable[[SendRequest], Awaitable[None]] | None = None,
        on_remind: Callable[[datetime], Awaitable[object]] | None = None,
    ) -> None:
        """``on_expired``: tells both sides of a request that expired (the Teams side
        shows each card holder their own view); without it the requester's cards get the
        progress card. ``on_approved_closed``: the same for an approved request whose
        sending ended, after its progress card's last update (who approved stays shown).
        ``on_remind``: a chore, run as often as the expiry, that reminds approvers."""
        self.config = config or WorkerConfig()
        self._metrics = metrics or Metrics()
        self._store = store
        self._clock = clock
        self._on_expired = on_expired
        self._on_approved_closed = on_approved_closed
        self._on_remind = on_remind
        self._runner = JobRunner(
            store,
            graph,
            guard=guard,
            senders=senders,
            config=self.config,
            clock=clock,
            on_slot=self._on_slot,
            on_refused=on_refused,
            metrics=self._metrics,
        )
        self.progress = ProgressPublisher(
            store,
            notifier,
            render_card,
            clock,
            self.config.card_update_interval,
            send_interval=lambda mailbox: self._runner.details(mailbox).pacing.interval_seconds,
            recipients_per_day=self.config.recipients_per_day,
            windows=lambda mailbox: window_of(senders, mailbox),
        )
        c = self.config
        self._chores = [
            Chore("expire", c.expiry_interval, self._expire),
            Chore("remind", c.expiry_interval, self._remind),
            Chore("sweep", c.sweep_interval, self._sweep),
            Chore("purge", c.purge_interval, self._purge),
        ]
        self._loop_task: asyncio.Task[None] | None = None
        self._chore_task: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[None]] = set()
        self._side: set[asyncio.Task[Any]] = set()
        self._wakeup = asyncio.Event()
        self._stopping = False

    @property
    def worker_id(self) -> str:
        return self.config.worker_id

    @property
    def running(self) -> bool:
        return self._loop_task is not None and not self._loop_task.done()

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        if self._loop_task is not None:
            raise RuntimeError("the worker is already started")
        self._stopping = False
        self._loop_task = asyncio.create_task(self._loop(), name=f"outbox-{self.worker_id}")
        logger.info("outbox worker %s started", self.worker_id)

    async def stop(self) -> None:
        """Stop claiming, let running jobs finish (``shutdown_grace``), cancel the rest."""
        self._stopping = True
        self._wakeup.set()
        if self._loop_task is not None:
            await _finish(self._loop_task, within=self.config.poll_interval + 5)
            self._loop_task = None
        grace = self.config.shutdown_grace
        await _settle(set(self._jobs), grace)
        await self._runner.drain()
        # Card updates (the final ones above all) get a moment too; chores do not.
        await _settle(set(self._side), min(grace, 5.0))
        if self._chore_task is not None:
            await _settle({self._chore_task}, 0)
            self._chore_task = None
        logger.info("outbox worker %s stopped", self.worker_id)

    def wake(self) -> None:
        """Claim now rather than at the next poll (e.g. right after a request was queued)."""
        self._wakeup.set()

    # --- the loop -----------------------------------------------------------------------

    async def _loop(self) -> None:
        while not self._stopping:
            self._start_chores_if_due()
            free = self.config.max_in_flight - len(self._jobs)
            claimed: list[ClaimedJob] = []
            if free > 0:
                try:
                    claimed = await self._store.claim_due_jobs(
                        self.worker_id, free, self.config.lease_seconds, self._clock()
                    )
                except StoreError as exc:
                    logger.warning("outbox claim failed: %s", exc)
                except Exception:
                    logger.exception("outbox claim failed unexpectedly")
            for job in claimed:
                task = asyncio.create_task(self._work(job), name=f"job-{job.job.id}")
                self._jobs.add(task)
                task.add_done_callback(self._job_done)
            if not claimed or len(self._jobs) >= self.config.max_in_flight:
                await self._idle()

    def _job_done(self, task: asyncio.Task[None]) -> None:
        self._jobs.discard(task)
        self._wakeup.set()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self.config.poll_interval)
        self._wakeup.clear()

    async def _work(self, claimed: ClaimedJob) -> None:
        request_id = claimed.job.request_id
        try:
            result = await self._runner.run(claimed)
            self._metrics.send(result.outcome)
            if result.outcome is Outcome.HELD:
                self._background(self.progress.publish(request_id))
            if not result.final:
                return
            closed = await close_if_done(
                self._store, request_id, graph_request_id=result.graph_request_id
            )
        except StoreError as exc:
            logger.warning("job %s: %s (its lease will expire)", claimed.job.id, exc)
            return
        except Exception:
            logger.exception("job %s failed unexpectedly", claimed.job.id)
            return
        if closed is not None:
            logger.info("request %s closed: %s", request_id, closed.state)
            self._background(self._closed(closed))
            return
        self._background(self.progress.publish(request_id))

    async def _on_slot(self, request: SendRequest) -> None:
        self._background(self.progress.publish(request.id))

    def _background(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    # --- chores -------------------------------------------------------------------------

    def _start_chores_if_due(self) -> None:
        if self._chore_task is not None and not self._chore_task.done():
            return
        now = time.monotonic()
        due = [c for c in self._chores if c.due(now)]
        if due:
            self._chore_task = asyncio.create_task(self._run_chores(due), name="outbox-chores")

    async def _run_chores(self, chores: list[Chore]) -> None:
        for chore in chores:
            try:
                await chore.run()
            except StoreError as exc:
                logger.warning("outbox chore %s failed: %s", chore.name, exc)
            except Exception:
                logger.exception("outbox chore %s failed", chore.name)
            chore.done(time.monotonic())

    async def run_chores(self) -> None:
        """Run every chore once, now (tests, and ``mailroom`` commands)."""
        await self._run_chores(list(self._chores))

    async def _expire(self) -> None:
        await expire_due(self._store, self._clock(), clock=self._clock, notify=self.told)

    async def _remind(self) -> None:
        await self.remind(self._clock())

    async def remind(self, now: datetime) -> None:
        """Remind the approvers of requests that waited too long (the remind chore)."""
        if self._on_remind is not None:
            await self._on_remind(now)

    async def told(self, request: SendRequest) -> None:
        """Tell the sides of a request that expired (the expiry chore calls this)."""
        if self._on_expired is not None:
            try:
                await self._on_expired(request)
            except Exception:  # telling is best effort; the expiry itself is recorded
                logger.exception("sides of expired request %s not told", request.id)
            return
        await self.progress.notify_requester(request.id)

    async def _sweep(self) -> None:
        await close_finished(self._store, on_closed=self._closed)

    async def _closed(self, request: SendRequest) -> None:
        await self.progress.publish(request.id, final=True)
        if self._on_approved_closed is not None and request.approval_required:
            try:
                await self._on_approved_closed(request)
            except Exception:  # best effort, as the progress card's updates
                logger.exception("cards of request %s not updated after closing", request.id)

    async def _purge(self) -> None:
        c = self.config
        policy = RetentionPolicy(
            body_days=c.retention_body_days, activity_days=c.retention_activity_days
        )
        await purge(self._store, policy, self._clock())


async def _settle(tasks: set[asyncio.Task[Any]], grace: float) -> None:
    """Let ``tasks`` finish within ``grace`` seconds, then cancel what is left."""
    if not tasks:
        return
    pending = tasks
    if grace > 0:
        _done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def _finish(task: asyncio.Task[None], *, within: float) -> None:
    try:
        async with asyncio.timeout(within):
            await asyncio.shield(task)
    except TimeoutError:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
